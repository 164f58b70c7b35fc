"""Open311 GeoReport v2: partners (who may file), the extra questions a category asks, and what a partner
submitted that a ticket has no field for."""

from django.conf import settings
from django.db import models


class Partner(models.Model):
    """A system that files requests through Open311 with its own api_key. It acts through a service account
    (role 合作方系统) so tickets it files say who registered them."""

    name = models.CharField("合作方名称", max_length=80, unique=True)
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="open311_partner")
    active = models.BooleanField("启用", default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "Open311合作方"
        verbose_name_plural = "Open311合作方"

    def __str__(self):
        return self.name


class ServiceAttribute(models.Model):
    """An extra question a category (Open311 service) asks, e.g. 树木高度 for 树木倒伏."""

    class Datatype(models.TextChoices):
        STRING = "string", "短文本"
        NUMBER = "number", "数字"
        DATETIME = "datetime", "日期时间"
        TEXT = "text", "长文本"
        SINGLE = "singlevaluelist", "单选"
        MULTI = "multivaluelist", "多选"

    category = models.ForeignKey("directory.Category", on_delete=models.CASCADE, related_name="open311_attributes")
    code = models.CharField("编码", max_length=40)
    description = models.CharField("问题", max_length=200)
    datatype = models.CharField("类型", max_length=20, choices=Datatype.choices, default=Datatype.STRING)
    required = models.BooleanField("必填", default=False)
    datatype_description = models.CharField("填写说明", max_length=200, blank=True)
    order = models.PositiveSmallIntegerField("顺序", default=1)
    values = models.JSONField("选项", default=list, blank=True, help_text='单选/多选的选项：[{"key": "a", "name": "…"}]')

    class Meta:
        verbose_name = "Open311附加问题"
        verbose_name_plural = "Open311附加问题"
        ordering = ["category", "order", "id"]
        constraints = [models.UniqueConstraint(fields=["category", "code"], name="uniq_open311_attribute")]

    def __str__(self):
        return f"{self.category.code}/{self.code}"


class Submission(models.Model):
    """The Open311 side of a ticket a partner filed: its token, and fields the ticket has no column for.
    e-mail and device/account ids are kept for the hotline, never output."""

    ticket = models.OneToOneField("tickets.Ticket", on_delete=models.CASCADE, related_name="open311")
    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="submissions")
    token = models.CharField(max_length=36, unique=True)
    email = models.CharField(max_length=254, blank=True)
    device_id = models.CharField(max_length=100, blank=True)
    account_id = models.CharField(max_length=100, blank=True)
    address_id = models.CharField(max_length=100, blank=True)
    media_url = models.URLField(max_length=500, blank=True)
    attributes = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = "Open311提交"
        verbose_name_plural = "Open311提交"

    def __str__(self):
        return f"{self.partner}: {self.ticket_id}"
