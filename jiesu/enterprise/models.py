"""The enterprise registry: who the enterprises are (统一社会信用代码, industry, scale, region, qualifications) and
who speaks for them (contacts: personal data, shown as callers are)."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models

from jiesu.core.validators import is_valid_credit_code
from jiesu.directory.models import Region

from . import industry


def validate_credit_code(value: str) -> None:
    if not is_valid_credit_code(value):
        raise ValidationError("统一社会信用代码无效（应为18位且校验位正确）")


class Scale(models.TextChoices):
    """企业规模 as the statistics office classifies it (大中小微型企业划分办法)."""

    LARGE = "large", "大型"
    MEDIUM = "medium", "中型"
    SMALL = "small", "小型"
    MICRO = "micro", "微型"


class Qualification(models.Model):
    """A recognised standing that policies ask for: 高新技术企业, 专精特新中小企业, 规上企业…"""

    code = models.CharField("代码", max_length=30, unique=True)
    name = models.CharField("名称", max_length=50, unique=True)

    class Meta:
        verbose_name = "企业资质"
        verbose_name_plural = "企业资质"
        ordering = ["code"]

    def __str__(self):
        return self.name


class Enterprise(models.Model):
    credit_code = models.CharField("统一社会信用代码", max_length=18, unique=True, validators=[validate_credit_code])
    name = models.CharField("企业名称", max_length=100)
    industry = models.CharField("行业大类", max_length=2, help_text="国民经济行业分类（GB/T 4754-2017）大类",
                                choices=[(code, industry.label(code)) for code in industry.DIVISIONS])
    scale = models.CharField("企业规模", max_length=10, choices=Scale.choices)
    region = models.ForeignKey(Region, verbose_name="所在区划", null=True, blank=True, on_delete=models.PROTECT)
    address = models.CharField("经营地址", max_length=200, blank=True)
    founded_on = models.DateField("成立日期", null=True, blank=True)
    employees = models.PositiveIntegerField("从业人数", null=True, blank=True)
    qualifications = models.ManyToManyField(Qualification, verbose_name="资质", blank=True, related_name="+")
    created_at = models.DateTimeField("登记时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        verbose_name = "企业"
        verbose_name_plural = "企业"
        ordering = ["name"]
        indexes = [models.Index(fields=["industry", "scale"])]  # policy matching narrows by both

    def __str__(self):
        return self.name

    @property
    def section(self) -> str:
        """国民经济行业分类门类 (A–T)."""
        return industry.section_of(self.industry)

    @property
    def industry_label(self) -> str:
        return industry.label(self.industry)


class Contact(models.Model):
    """A person who speaks for the enterprise; with an account, they file and follow its 涉企诉求."""

    enterprise = models.ForeignKey(Enterprise, on_delete=models.CASCADE, related_name="contacts")
    name = models.CharField("联系人", max_length=50)
    phone = models.CharField("联系电话", max_length=30)
    title = models.CharField("职务", max_length=50, blank=True)
    user = models.OneToOneField(settings.AUTH_USER_MODEL, verbose_name="企业账号", null=True, blank=True,
                                on_delete=models.SET_NULL, related_name="enterprise_contact")

    class Meta:
        verbose_name = "企业联系人"
        verbose_name_plural = "企业联系人"
        constraints = [models.UniqueConstraint(fields=["enterprise", "phone"], name="uniq_enterprise_contact_phone")]

    def __str__(self):
        return f"{self.name}（{self.enterprise}）"


class HelperAssignment(models.Model):
    """帮办代办: a 帮办员 follows an enterprise (all its 政企直通车 requests) or one of its matters (one ticket) through
    every unit, until the assignment ends. The enterprise sees who its 帮办员 is."""

    enterprise = models.ForeignKey(Enterprise, verbose_name="企业", on_delete=models.CASCADE, related_name="helpers")
    helper = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="帮办员", on_delete=models.PROTECT,
                               related_name="helper_assignments")
    ticket = models.ForeignKey("tickets.Ticket", verbose_name="帮办事项（工单）", null=True, blank=True,
                               on_delete=models.CASCADE, related_name="+",
                               help_text="空：帮办该企业的全部诉求")
    assigned_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="指派人", on_delete=models.PROTECT,
                                    related_name="+")
    assigned_at = models.DateTimeField("指派时间")
    ended_at = models.DateTimeField("结束时间", null=True, blank=True)

    class Meta:
        verbose_name = "帮办关系"
        verbose_name_plural = "帮办关系"
        constraints = [
            models.UniqueConstraint(fields=["enterprise", "helper"], condition=models.Q(ended_at__isnull=True,
                                    ticket__isnull=True), name="uniq_active_enterprise_helper"),
            models.UniqueConstraint(fields=["ticket", "helper"], condition=models.Q(ended_at__isnull=True),
                                    name="uniq_active_matter_helper"),
        ]
        indexes = [models.Index(fields=["helper", "ended_at"])]

    def __str__(self):
        what = f"工单{self.ticket.number}" if self.ticket_id else "全部诉求"
        return f"{self.helper} → {self.enterprise}（{what}）"


class Visit(models.Model):
    """走访记录: a 帮办员's visit, call or meeting with the enterprise, about one matter or in general."""

    class Form(models.TextChoices):
        VISIT = "visit", "上门走访"
        PHONE = "phone", "电话"
        MEETING = "meeting", "座谈"
        ONLINE = "online", "线上"

    enterprise = models.ForeignKey(Enterprise, verbose_name="企业", on_delete=models.CASCADE, related_name="visits")
    helper = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="帮办员", on_delete=models.PROTECT,
                               related_name="+")
    ticket = models.ForeignKey("tickets.Ticket", verbose_name="相关工单", null=True, blank=True,
                               on_delete=models.SET_NULL, related_name="+")
    visited_on = models.DateField("走访日期")
    form = models.CharField("方式", max_length=10, choices=Form.choices)
    note = models.TextField("情况记录", max_length=2000)
    created_at = models.DateTimeField("记录时间")

    class Meta:
        verbose_name = "走访记录"
        verbose_name_plural = "走访记录"
        ordering = ["-visited_on", "-id"]

    def __str__(self):
        return f"{self.enterprise} {self.visited_on} {self.get_form_display()}"
