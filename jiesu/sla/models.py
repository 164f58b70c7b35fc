"""Holidays and make-up workdays, time-limit rules, their change log, and the sweep's alerts."""

from django.conf import settings
from django.db import models

from jiesu.directory.models import Category
from jiesu.tickets.models import Channel, Kind, Urgency


class CalendarDay(models.Model):
    """A day that differs from the Monday-to-Friday week: a statutory holiday or a 调休 make-up workday."""

    class Type(models.TextChoices):
        HOLIDAY = "holiday", "法定节假日（休息）"
        MAKEUP = "makeup", "调休上班日"

    day = models.DateField("日期", unique=True)
    type = models.CharField("类型", max_length=10, choices=Type.choices)
    name = models.CharField("节日", max_length=40, blank=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        verbose_name = "节假日与调休"
        verbose_name_plural = "节假日与调休"
        ordering = ["day"]

    def __str__(self):
        return f"{self.day:%Y-%m-%d} {self.get_type_display()} {self.name}".strip()


class Unit(models.TextChoices):
    CLOCK_HOURS = "clock_hours", "自然小时"
    CALENDAR_DAYS = "calendar_days", "自然日"
    WORKING_DAYS = "working_days", "工作日"
    CALENDAR_MONTHS = "calendar_months", "自然月"


def _limit(label):
    return models.DecimalField(label, max_digits=7, decimal_places=2)


def _unit(label):
    return models.CharField(label, max_length=20, choices=Unit.choices, default=Unit.WORKING_DAYS)


class TimeLimitRule(models.Model):
    """Time limits for the tickets it matches. Blank criteria match anything; the most specific rule wins
    (a category counts more the deeper it is), then the higher priority."""

    name = models.CharField("规则名称", max_length=60)
    kind = models.CharField("诉求类型", max_length=20, choices=Kind.choices, blank=True)
    urgency = models.CharField("紧急程度", max_length=10, choices=Urgency.choices, blank=True)
    channel = models.CharField("来源渠道", max_length=20, choices=Channel.choices, blank=True)
    category = models.ForeignKey(
        Category, verbose_name="诉求分类（含下级）", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    is_complex = models.BooleanField("复杂疑难", null=True, blank=True, help_text="空：不限")
    enterprise = models.BooleanField("涉企诉求", null=True, blank=True,
                                     help_text="是：只用于涉企诉求（填有企业名称或统一社会信用代码，或来自政企直通车）；空：不限")
    wage_arrears = models.BooleanField("欠薪线索", null=True, blank=True,
                                       help_text="空：不限；是：仅欠薪线索分类的诉求（分类设置中标记）")
    priority = models.IntegerField("优先级", default=0, help_text="同样具体时，数值大者优先")
    sign_limit = _limit("签收时限")
    sign_unit = _unit("签收时限单位")
    contact_limit = _limit("响应时限（联系诉求人）")
    contact_unit = _unit("响应时限单位")
    reply_limit = _limit("办理/答复时限")
    reply_unit = _unit("答复时限单位")
    callback_limit = _limit("回访时限")
    callback_unit = _unit("回访时限单位")
    source = models.CharField("依据", max_length=200, blank=True)
    active = models.BooleanField("启用", default=True)

    class Meta:
        verbose_name = "时限规则"
        verbose_name_plural = "时限规则"
        ordering = ["-priority", "id"]

    def __str__(self):
        return self.name


class ConfigChange(models.Model):
    """Who changed a holiday or a time-limit rule, when, and why. Written by sla.services only."""

    subject = models.CharField("对象", max_length=40)
    key = models.CharField("标识", max_length=60)
    before = models.JSONField("修改前", null=True, blank=True)
    after = models.JSONField("修改后", null=True, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="修改人", null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )
    reason = models.CharField("原因", max_length=200)
    created_at = models.DateTimeField("时间", auto_now_add=True)

    class Meta:
        verbose_name = "时限配置变更记录"
        verbose_name_plural = "时限配置变更记录"
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.subject} {self.key}: {self.reason}"


class Clock(models.TextChoices):
    SIGN = "sign", "签收"
    CONTACT = "contact", "响应"
    REPLY = "reply", "答复"
    CALLBACK = "callback", "回访"


class SlaAlert(models.Model):
    """One row per (ticket, clock, kind, deadline): what makes the sweep record each warning only once."""

    class Kind(models.TextChoices):
        WARNING = "warning", "临期"
        OVERDUE = "overdue", "超期"
        URGE = "urge", "催办"
        ESCALATE = "escalate", "升级督办"

    # No index of its own: uniq_sla_alert starts with the ticket (one index less to write per alert in the sweep).
    ticket = models.ForeignKey("tickets.Ticket", on_delete=models.CASCADE, related_name="sla_alerts", db_index=False)
    clock = models.CharField(max_length=10, choices=Clock.choices)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    due_at = models.DateTimeField()
    created_at = models.DateTimeField()

    class Meta:
        verbose_name = "时限提醒"
        verbose_name_plural = "时限提醒"
        constraints = [
            models.UniqueConstraint(fields=["ticket", "clock", "kind", "due_at"], name="uniq_sla_alert")
        ]

    def __str__(self):
        return f"{self.ticket_id} {self.clock} {self.kind}"


class SweepRun(models.Model):
    """One completed sweep. The next run only looks at thresholds crossed since this one's `now`."""

    now = models.DateTimeField("扫描基准时间", db_index=True)
    started_at = models.DateTimeField("开始")
    finished_at = models.DateTimeField("结束")
    counts = models.JSONField("结果", default=dict)

    class Meta:
        verbose_name = "时限扫描记录"
        verbose_name_plural = "时限扫描记录"
        ordering = ["-now"]

    def __str__(self):
        return f"{self.now:%Y-%m-%d %H:%M} {self.counts}"
