"""Special channels on the ticket core. 人大代表建议 / 政协委员提案: the proposal behind a ticket, the lead unit's
沟通/面商 with its deputy or member, and its formal 答复函."""

from django.conf import settings
from django.db import models


class Body(models.TextChoices):
    NPC = "npc", "人大代表建议"
    CPPCC = "cppcc", "政协委员提案"


class Proposal(models.Model):
    """A 建议 or 提案 as the 人大/政协 hands it over: session and number, who proposed it and who co-signed, the 案由
    (the ticket's title) and text (its content). The deputy's or member's name is public in this role (proposals
    are published with it) and is kept here; their phone is personal data and stays the ticket's caller phone,
    shown as callers' are. The 主办 unit is the ticket's department; 会办/协办 units are its 协办 parts."""

    ticket = models.OneToOneField("tickets.Ticket", on_delete=models.CASCADE, related_name="proposal")
    body = models.CharField("类别", max_length=10, choices=Body.choices)
    year = models.PositiveSmallIntegerField("年度")
    session = models.CharField("届次会议", max_length=50, help_text="如：十七届三次会议")
    number = models.PositiveIntegerField("编号")
    proposer = models.CharField("领衔代表/委员", max_length=50)
    delegation = models.CharField("代表团/界别", max_length=50, blank=True)
    co_signers = models.JSONField("联名代表/委员", default=list, blank=True)
    registered_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    registered_at = models.DateTimeField("登记时间")

    class Meta:
        verbose_name = "建议提案"
        verbose_name_plural = "建议提案"
        ordering = ["-year", "body", "number"]
        constraints = [models.UniqueConstraint(fields=["body", "session", "number"], name="uniq_proposal_number")]
        indexes = [models.Index(fields=["year", "body"])]

    def __str__(self):
        return f"{self.session}第{self.number:04d}号{'建议' if self.body == Body.NPC else '提案'}"

    @property
    def label(self) -> str:
        return str(self)


class Consultation(models.Model):
    """沟通/面商: the lead unit's exchange with the deputy or member before it answers."""

    class Form(models.TextChoices):
        MEETING = "meeting", "见面"
        PHONE = "phone", "电话"
        FORUM = "forum", "座谈"

    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="consultations")
    department = models.ForeignKey("directory.Department", verbose_name="承办单位", on_delete=models.PROTECT,
                                   related_name="+")
    held_on = models.DateField("沟通日期")
    form = models.CharField("方式", max_length=10, choices=Form.choices)
    note = models.TextField("沟通情况", max_length=2000)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField("记录时间")

    class Meta:
        verbose_name = "沟通面商"
        verbose_name_plural = "沟通面商"
        ordering = ["held_on", "id"]

    def __str__(self):
        return f"{self.proposal} {self.held_on} {self.get_form_display()}"


class ReplyLetter(models.Model):
    """答复函: the lead unit's formal answer (one per round: a 重办 asks for a new one), generated as .docx, and the
    signed copy uploaded back (a ticket attachment)."""

    class AnswerClass(models.TextChoices):
        A = "A", "A类：所提问题已经解决或基本解决"
        B = "B", "B类：正在解决或已列入计划逐步解决"
        C = "C", "C类：因条件限制需以后解决"
        D = "D", "D类：留作参考"

    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="letters")
    round = models.PositiveSmallIntegerField("办理轮次", default=1)  # 2 after a 重办
    department = models.ForeignKey("directory.Department", verbose_name="主办单位", on_delete=models.PROTECT,
                                   related_name="+")
    document_number = models.CharField("文号", max_length=100)
    signer = models.CharField("签发人", max_length=50)
    answer_class = models.CharField("答复类别", max_length=1, choices=AnswerClass.choices)
    text = models.TextField("答复正文", max_length=20000)
    contact = models.CharField("联系人及电话", max_length=100, blank=True)
    signed_copy = models.ForeignKey("tickets.Attachment", verbose_name="签章件", null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="+")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField("答复时间")

    class Meta:
        verbose_name = "答复函"
        verbose_name_plural = "答复函"
        ordering = ["round"]
        constraints = [models.UniqueConstraint(fields=["proposal", "round"], name="uniq_letter_round")]

    def __str__(self):
        return f"{self.proposal} 答复函（{self.document_number}）"
