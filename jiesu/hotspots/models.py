"""Duplicate look-up index, the statistics it is built on, detected hotspots and the governance items
(每月一题) adopted from them."""

from django.conf import settings
from django.db import models

from jiesu.directory.models import Department
from jiesu.tickets.models import Ticket


class GramStat(models.Model):
    """Document frequency of a common character bigram (by its hash), from a sample of recent tickets.
    Bigrams not listed are rare. Rebuilt by `jiesu hotspots refresh`."""

    gram = models.BigIntegerField(primary_key=True)
    df = models.PositiveIntegerField()

    def __str__(self):
        return f"{self.gram}:{self.df}"


class GramCorpus(models.Model):
    """How many texts the GramStat rows were counted over, and when (one row)."""

    docs = models.PositiveIntegerField(default=0)
    refreshed_at = models.DateTimeField(null=True, blank=True)

    def __str__(self):
        return f"{self.docs} texts at {self.refreshed_at}"


class DuplicateKey(models.Model):
    """A few look-up keys per ticket (text.signature): tickets sharing keys are duplicate candidates.
    Kept for live tickets and those created within the duplicate window: `refresh` deletes the rest, and the
    look-up skips any it finds before then."""

    key = models.BigIntegerField()
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField()

    class Meta:
        # (key, ticket) answers the look-up from the index alone.
        indexes = [models.Index(fields=["key", "ticket"], name="dupkey_key_ticket")]

    def __str__(self):
        return f"{self.key} → {self.ticket_id}"


class DuplicateMatch(models.Model):
    """A likely duplicate found when the ticket was registered: an earlier ticket, how similar, and why."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="duplicate_matches")
    other = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="+")
    score = models.FloatField("相似度")
    reasons = models.JSONField("依据", default=list)
    same_caller = models.BooleanField("同一来电号码", default=False)

    class Meta:
        verbose_name = "疑似重复"
        verbose_name_plural = "疑似重复"
        ordering = ["-score", "id"]
        constraints = [models.UniqueConstraint(fields=["ticket", "other"], name="uniq_duplicate_match")]

    def __str__(self):
        return f"{self.ticket_id} ≈ {self.other_id} ({self.score:.2f})"


class HotspotRun(models.Model):
    """One detection over a period (the latest of each kind is what the hotspot page shows)."""

    class Kind(models.TextChoices):
        TRAILING = "trailing", "近期热点"  # the last days against the weeks before
        MONTHLY = "monthly", "每月一题候选"  # a calendar month's most recurring problems
        ADHOC = "adhoc", "指定时段"

    kind = models.CharField("类型", max_length=10, choices=Kind.choices, default=Kind.ADHOC)
    start = models.DateTimeField("起")
    end = models.DateTimeField("止")
    baseline_days = models.PositiveIntegerField("对比期（天）")
    tickets = models.PositiveIntegerField("期内诉求数")
    created_at = models.DateTimeField("检测时间")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.start:%Y-%m-%d}–{self.end:%Y-%m-%d}"


class Hotspot(models.Model):
    run = models.ForeignKey(HotspotRun, on_delete=models.CASCADE, related_name="hotspots")
    rank = models.PositiveIntegerField("排名")
    topic = models.CharField("热点", max_length=200)
    place = models.CharField("地点", max_length=100, blank=True)
    problem = models.CharField("问题", max_length=100, blank=True)
    count = models.PositiveIntegerField("期内件数")
    baseline = models.PositiveIntegerField("对比期件数")
    growth = models.FloatField("增长", null=True)  # None: nothing before (new)
    support = models.PositiveIntegerField("点赞数", default=0)
    heat = models.FloatField("热度")
    regions = models.JSONField("涉及区划", default=list)
    first_seen = models.DateTimeField("首次出现")
    last_seen = models.DateTimeField("最近出现")
    tickets = models.ManyToManyField(Ticket, related_name="+")
    representatives = models.JSONField("代表性工单", default=list)  # ticket numbers, most typical first
    callers = models.PositiveIntegerField("来电人数", default=0)
    # Mostly one caller's repeated requests (detect.ONE_CALLER_SHARE): marked, and ranked by its callers.
    one_caller = models.BooleanField("主要来自同一来电人", default=False)

    class Meta:
        verbose_name = "热点"
        verbose_name_plural = "热点"
        ordering = ["run", "rank"]

    def __str__(self):
        return self.topic


class GovernanceItem(models.Model):
    """每月一题: a recurring problem a supervisor adopted for 主动治理, with an owner and a due date."""

    class Status(models.TextChoices):
        OPEN = "open", "推进中"
        DONE = "done", "已完成"

    title = models.CharField("治理事项", max_length=200)
    description = models.TextField("问题描述", blank=True)
    owner = models.ForeignKey(Department, verbose_name="牵头单位", on_delete=models.PROTECT, related_name="+")
    due_date = models.DateField("完成时限")
    status = models.CharField("状态", max_length=10, choices=Status.choices, default=Status.OPEN)
    month = models.CharField("月份", max_length=7)  # yyyy-mm the problem was adopted for
    hotspot = models.ForeignKey(Hotspot, verbose_name="来源热点", null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="governance_items")
    hotspot_topic = models.CharField("来源热点", max_length=200, blank=True)
    tickets = models.ManyToManyField(Ticket, related_name="+", blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField("立项时间")

    class Meta:
        verbose_name = "治理事项"
        verbose_name_plural = "治理事项（每月一题）"
        ordering = ["-created_at"]

    def __str__(self):
        return self.title
