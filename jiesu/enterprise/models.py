"""The enterprise registry: who the enterprises are (统一社会信用代码, industry, scale, region, qualifications) and
who speaks for them (contacts: personal data, shown as callers are)."""

import uuid

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


class Policy(models.Model):
    """涉企政策: a policy document with its benefits, how to apply, and who is eligible as structured conditions
    (empty = no condition). Edited by its issuing department, reviewed by the centre, then matched and pushed."""

    class Status(models.TextChoices):
        DRAFT = "draft", "草稿"
        PENDING = "pending", "待审核"
        PUBLISHED = "published", "已发布"
        WITHDRAWN = "withdrawn", "已撤回"

    class Form(models.TextChoices):
        SUBSIDY = "subsidy", "资金补贴"
        TAX = "tax", "税费减免"
        LOAN = "loan", "贷款贴息/担保"
        AWARD = "award", "奖励"
        SERVICE = "service", "服务支持"
        OTHER = "other", "其他"

    code = models.CharField("政策编号", max_length=20, unique=True)
    title = models.CharField("政策名称", max_length=200)
    department = models.ForeignKey("directory.Department", verbose_name="发文单位", on_delete=models.PROTECT,
                                   related_name="+")
    document_number = models.CharField("文号", max_length=100, blank=True)
    valid_from = models.DateField("施行日期", null=True, blank=True)
    valid_until = models.DateField("有效期至", null=True, blank=True)
    summary = models.TextField("政策要点", max_length=2000)
    text = models.TextField("政策原文", blank=True)
    benefit_form = models.CharField("兑现方式", max_length=20, choices=Form.choices)
    benefit_amount = models.DecimalField("最高金额（万元）", max_digits=12, decimal_places=2, null=True, blank=True)
    steps = models.TextField("申报流程", blank=True)
    link = models.URLField("申报链接", blank=True)
    automatic = models.BooleanField("免申即享", default=False, help_text="符合条件的企业无需申报，由部门直接兑现")
    # Eligibility (each empty = no condition; all given must hold).
    industries = models.JSONField("行业（门类字母或大类代码）", default=list, blank=True)
    scales = models.JSONField("企业规模", default=list, blank=True)
    regions = models.ManyToManyField(Region, verbose_name="区划（含下级）", blank=True, related_name="+")
    qualifications = models.ManyToManyField(Qualification, verbose_name="须具备的资质（全部）", blank=True,
                                            related_name="+")
    founded_after = models.DateField("成立日期不早于", null=True, blank=True)
    founded_before = models.DateField("成立日期不晚于", null=True, blank=True)
    min_employees = models.PositiveIntegerField("从业人数不少于", null=True, blank=True)
    max_employees = models.PositiveIntegerField("从业人数不多于", null=True, blank=True)
    status = models.CharField("状态", max_length=20, choices=Status.choices, default=Status.DRAFT)
    search_words = models.TextField(editable=False, blank=True)  # jieba words of title, summary and text (政策问答)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")
    reviewed_at = models.DateTimeField("审核时间", null=True, blank=True)
    review_note = models.CharField("审核意见", max_length=500, blank=True)
    created_at = models.DateTimeField("创建时间")
    updated_at = models.DateTimeField("更新时间")

    class Meta:
        verbose_name = "涉企政策"
        verbose_name_plural = "涉企政策"
        ordering = ["-updated_at"]

    def __str__(self):
        return f"{self.code} {self.title}"


class PolicyPush(models.Model):
    """One policy pushed to one enterprise, and how far it went: 已推送 → 已读 → 已申报 → 已兑现."""

    policy = models.ForeignKey(Policy, on_delete=models.CASCADE, related_name="pushes")
    enterprise = models.ForeignKey(Enterprise, on_delete=models.CASCADE, related_name="policy_pushes")
    pushed_at = models.DateTimeField("推送时间")
    read_at = models.DateTimeField("阅读时间", null=True, blank=True)
    applied_at = models.DateTimeField("申报时间", null=True, blank=True)
    granted_at = models.DateTimeField("兑现时间", null=True, blank=True)

    class Meta:
        verbose_name = "政策推送"
        verbose_name_plural = "政策推送"
        constraints = [models.UniqueConstraint(fields=["policy", "enterprise"], name="uniq_policy_push")]

    def __str__(self):
        return f"{self.policy.code} → {self.enterprise}"


class Evaluation(models.Model):
    """百企评机关: a campaign in which invited enterprises rate the agencies they dealt with in a period. The centre
    sets it up (draft), opens it (the invitations are drawn then) and closes it; the result is the agencies'
    ranking. Ratings are anonymous: `EvaluationRating` does not name the enterprise."""

    class Status(models.TextChoices):
        DRAFT = "draft", "草稿"
        OPEN = "open", "评价中"
        CLOSED = "closed", "已结束"

    class Sampling(models.TextChoices):
        ALL = "all", "全部符合条件的企业"
        SAMPLE = "sample", "按行业和规模分层随机抽取"

    title = models.CharField("评议名称", max_length=100)
    period_start = models.DateField("评议期间自")
    period_end = models.DateField("评议期间至")
    closes_on = models.DateField("评价截止日期")
    status = models.CharField("状态", max_length=10, choices=Status.choices, default=Status.DRAFT)
    agencies = models.ManyToManyField("directory.Department", verbose_name="被评议单位", related_name="+")
    # Who is invited: enterprises with a contact to reach, in these 门类 and scales (empty = all), all or a sample.
    industries = models.JSONField("行业门类", default=list, blank=True)
    scales = models.JSONField("企业规模", default=list, blank=True)
    sampling = models.CharField("邀请方式", max_length=10, choices=Sampling.choices, default=Sampling.ALL)
    sample_size = models.PositiveIntegerField("抽取企业数", null=True, blank=True)
    seed = models.BigIntegerField("抽样种子", editable=False, default=0)  # the draw can be repeated and checked
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField("创建时间")
    opened_at = models.DateTimeField("发布时间", null=True, blank=True)
    closed_at = models.DateTimeField("结束时间", null=True, blank=True)

    class Meta:
        verbose_name = "百企评机关"
        verbose_name_plural = "百企评机关"
        ordering = ["-period_end", "-id"]
        constraints = [models.CheckConstraint(condition=models.Q(period_start__lte=models.F("period_end")),
                                              name="evaluation_period_in_order")]

    def __str__(self):
        return self.title


class EvaluationInvite(models.Model):
    """An enterprise invited to a campaign, and whether (not how) it answered."""

    evaluation = models.ForeignKey(Evaluation, on_delete=models.CASCADE, related_name="invites")
    enterprise = models.ForeignKey(Enterprise, on_delete=models.CASCADE, related_name="evaluation_invites")
    responded_at = models.DateTimeField("评价时间", null=True, blank=True)

    class Meta:
        verbose_name = "受邀企业"
        verbose_name_plural = "受邀企业"
        constraints = [models.UniqueConstraint(fields=["evaluation", "enterprise"], name="uniq_evaluation_invite")]

    def __str__(self):
        return f"{self.evaluation} → {self.enterprise}"


class EvaluationRating(models.Model):
    """One agency's rating by one (unnamed) enterprise: four scores of 1–5 and a comment. Deliberately without
    the enterprise or the time, and keyed by a random id rather than a sequence, so that the ratings cannot be
    lined up with the order in which the invitations were answered."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    evaluation = models.ForeignKey(Evaluation, on_delete=models.CASCADE, related_name="ratings")
    department = models.ForeignKey("directory.Department", verbose_name="被评议单位", on_delete=models.PROTECT,
                                   related_name="+")
    attitude = models.PositiveSmallIntegerField("服务态度")
    efficiency = models.PositiveSmallIntegerField("办事效率")
    policy = models.PositiveSmallIntegerField("政策落实")
    integrity = models.PositiveSmallIntegerField("廉洁自律")
    comment = models.TextField("意见建议", max_length=500, blank=True)

    class Meta:
        verbose_name = "评议评分"
        verbose_name_plural = "评议评分"
        constraints = [models.CheckConstraint(
            condition=models.Q(**{f"{f}__gte": 1 for f in ("attitude", "efficiency", "policy", "integrity")})
            & models.Q(**{f"{f}__lte": 5 for f in ("attitude", "efficiency", "policy", "integrity")}),
            name="evaluation_scores_1_to_5")]

    def __str__(self):
        return f"{self.evaluation} · {self.department}"
