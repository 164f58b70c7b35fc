"""Special channels on the ticket core. 人大代表建议 / 政协委员提案: the proposal behind a ticket, the lead unit's
沟通/面商 with its deputy or member, and its formal 答复函. 110 ↔ 12345 联动: the transfer behind a ticket that
110 and 12345 hand each other, and the messages 110's system sent. 欠薪线索: the wage-arrears facts of a ticket
in a 欠薪 category and what was recovered."""

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


class PoliceTransfer(models.Model):
    """110 ↔ 12345 联动: a ticket handed from one to the other (jiesu.channels.police).

    转入 (110转12345): a 非警务 call 110 hands over; the ticket is on channel 110转办. 12345 签收 within
    JIESU_POLICE110_ACK_MINUTES and 回传 its result (the 答复) by the ticket's 答复 deadline.
    转出 (12345转110): a 警情 the centre hands to 110 (the ticket is 已转110); 110's system 签收 and reports its
    处警结果, or sends it back (110退回)."""

    class Direction(models.TextChoices):
        INBOUND = "in", "110转12345"
        OUTBOUND = "out", "12345转110"

    ticket = models.OneToOneField("tickets.Ticket", on_delete=models.CASCADE, related_name="police")
    direction = models.CharField("方向", max_length=3, choices=Direction.choices)
    # 110's 警情编号: sent with a 转入; for a 转出, 110's receipt (接警编号) when it arrives.
    event_number = models.CharField("110警情编号", max_length=40, blank=True)
    reported_at = models.DateTimeField("报警时间", null=True, blank=True)
    transferred_at = models.DateTimeField("转办时间")
    ack_due_at = models.DateTimeField("应签收时间")
    acked_at = models.DateTimeField("签收时间", null=True, blank=True)  # 转入: 12345's; 转出: 110's
    acked_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="签收人", null=True, blank=True,
                                 on_delete=models.SET_NULL, related_name="+")
    result_at = models.DateTimeField("回传/反馈时间", null=True, blank=True)  # 转入: 12345's 答复; 转出: 110's 处警结果
    result_due_at = models.DateTimeField("应回传时间", null=True, blank=True)  # 转入: 答复 limit from the transfer
    result_text = models.TextField("处理结果", blank=True)
    returned_at = models.DateTimeField("退回时间", null=True, blank=True)
    return_reason = models.CharField("退回原因", max_length=500, blank=True)
    sent = models.PositiveIntegerField("已发往110的消息数", default=0)  # numbers our messages (`seq`)

    class Meta:
        verbose_name = "110联动"
        verbose_name_plural = "110联动"
        ordering = ["-transferred_at"]
        constraints = [models.UniqueConstraint(fields=["direction", "event_number"], condition=~models.Q(event_number=""),
                                               name="uniq_police_event_number")]
        indexes = [models.Index(fields=["transferred_at"])]

    def __str__(self):
        return f"{self.get_direction_display()} {self.event_number or self.ticket_id}"

    @property
    def ack_overdue(self) -> bool:
        """Not signed, and past the time it should have been."""
        from jiesu.core import clock

        return self.acked_at is None and self.returned_at is None and clock.now() > self.ack_due_at


class PoliceMessage(models.Model):
    """A message 110's system sent about a 转出 (签收, 处警结果, 退回), kept by its id: the same message twice is
    taken once."""

    message_id = models.CharField("消息编号", max_length=100, unique=True)
    transfer = models.ForeignKey(PoliceTransfer, on_delete=models.CASCADE, related_name="messages")
    kind = models.CharField("类型", max_length=10)
    received_at = models.DateTimeField("接收时间")
    payload = models.JSONField("内容", default=dict)

    class Meta:
        verbose_name = "110来文"
        verbose_name_plural = "110来文"
        ordering = ["-received_at"]

    def __str__(self):
        return f"{self.kind} {self.message_id}"


class WageClue(models.Model):
    """欠薪线索: what the case needs beside the ticket — who owes (the employer, its 统一社会信用代码 when known), on
    which project, how much to how many workers for which months — and, before the unit answers, what was
    recovered for how many of them. The workers' names and phones are the ticket's caller (personal data)."""

    ticket = models.OneToOneField("tickets.Ticket", on_delete=models.CASCADE, related_name="wage_clue")
    employer = models.CharField("欠薪单位（用人单位）", max_length=100)
    credit_code = models.CharField("统一社会信用代码", max_length=18, blank=True)
    project = models.CharField("工程项目", max_length=100, blank=True)
    amount_owed = models.DecimalField("欠薪金额（元）", max_digits=12, decimal_places=2)
    workers = models.PositiveIntegerField("涉及人数")
    period_from = models.DateField("欠薪起始月", null=True, blank=True)
    period_to = models.DateField("欠薪截止月", null=True, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField("登记时间")
    # 处理结果, by the unit before it answers
    recovered_amount = models.DecimalField("追回金额（元）", max_digits=12, decimal_places=2, null=True, blank=True)
    workers_paid = models.PositiveIntegerField("已结清人数", null=True, blank=True)
    outcome_note = models.TextField("处理情况", blank=True)
    outcome_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True,
                                   blank=True)
    outcome_at = models.DateTimeField("结果登记时间", null=True, blank=True)

    class Meta:
        verbose_name = "欠薪线索"
        verbose_name_plural = "欠薪线索"
        constraints = [
            models.CheckConstraint(condition=models.Q(amount_owed__gte=0), name="wage_amount_owed_not_negative"),
            models.CheckConstraint(condition=models.Q(recovered_amount__isnull=True) | models.Q(recovered_amount__gte=0),
                                   name="wage_recovered_not_negative"),
        ]

    def __str__(self):
        return f"{self.employer} 欠薪{self.amount_owed}元（{self.workers}人）"

    @property
    def settled(self) -> bool:
        return self.outcome_at is not None


class PetitionForm(models.TextChoices):
    LETTER = "letter", "来信"
    VISIT = "visit", "来访"
    ONLINE = "online", "网上信访"
    PHONE = "phone", "电话"


class Settled(models.TextChoices):
    """事了: the matter itself."""

    YES = "yes", "已解决"
    PARTLY = "partly", "部分解决"
    NO = "no", "未解决"


class Accepted(models.TextChoices):
    """心解: the person's own acceptance, asked of them, recorded apart from the matter."""

    YES = "yes", "认可，心结已解"
    PARTLY = "partly", "基本认可"
    NO = "no", "不认可"


class Petition(models.Model):
    """信访代办: a 信访事项 behind a ticket on channel 信访, and the 代办员 who follows it to its end. The matter's
    resolution (事了) and the person's acceptance (心解) are recorded apart ("事心双解"), and a 跟踪回访 visit is due
    some days after closing. The person is the ticket's caller (personal data)."""

    ticket = models.OneToOneField("tickets.Ticket", on_delete=models.CASCADE, related_name="petition")
    form = models.CharField("信访形式", max_length=10, choices=PetitionForm.choices)
    case_number = models.CharField("信访件编号", max_length=40, blank=True)
    agent = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="代办员", on_delete=models.PROTECT,
                              related_name="petitions")
    assigned_at = models.DateTimeField("指派时间")
    registered_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    settled = models.CharField("事了", max_length=10, choices=Settled.choices, blank=True)
    settled_note = models.TextField("事了情况", blank=True)
    accepted = models.CharField("心解", max_length=10, choices=Accepted.choices, blank=True)
    accepted_note = models.TextField("心解情况", blank=True)
    concluded_at = models.DateTimeField("办结确认时间", null=True, blank=True)
    follow_up_due = models.DateField("跟踪回访日期", null=True, blank=True)
    followed_up_at = models.DateTimeField("跟踪回访时间", null=True, blank=True)

    class Meta:
        verbose_name = "信访事项"
        verbose_name_plural = "信访事项"
        indexes = [models.Index(fields=["agent", "follow_up_due"])]

    def __str__(self):
        return f"信访事项 {self.ticket.number}"


class PetitionVisit(models.Model):
    """A visit or talk the 代办员 logged: before closing (走访, 电话, 约谈, 陪同办理) or the 跟踪回访 after it."""

    class Kind(models.TextChoices):
        VISIT = "visit", "上门走访"
        PHONE = "phone", "电话沟通"
        TALK = "talk", "约谈"
        ACCOMPANY = "accompany", "陪同办理"
        FOLLOW_UP = "follow_up", "跟踪回访"

    petition = models.ForeignKey(Petition, on_delete=models.CASCADE, related_name="visits")
    kind = models.CharField("方式", max_length=12, choices=Kind.choices)
    held_on = models.DateField("日期")
    note = models.TextField("情况")
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField("记录时间")

    class Meta:
        verbose_name = "代办走访记录"
        verbose_name_plural = "代办走访记录"
        ordering = ["held_on", "at"]

    def __str__(self):
        return f"{self.get_kind_display()} {self.held_on}"
