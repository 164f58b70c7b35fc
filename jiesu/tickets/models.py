"""工单 (the ticket), its append-only history and its attachments.

`state` is written only by `jiesu.tickets.workflow.move`; services change everything else.
"""

from django.conf import settings
from django.db import models

from jiesu.directory.models import Category, Department, Region

from .workflow import State


class Channel(models.TextChoices):
    PHONE = "phone", "12345电话"
    WEB = "web", "网站"
    MOBILE = "mobile", "移动端"
    ENTERPRISE = "enterprise", "政企直通车"
    POLICE_110 = "110", "110转办"
    NPC = "npc", "人大建议"
    CPPCC = "cppcc", "政协提案"
    PETITION = "petition", "信访"
    API = "api", "API"
    OPEN311 = "open311", "Open311接口"


# 人大代表建议 / 政协委员提案 (jiesu.channels.proposals).
PROPOSAL_CHANNELS = (Channel.NPC, Channel.CPPCC)
# Handed to units by people (a 交办会, the 信访 office, the centre that 签收s 110's transfer), never by the router's
# 智能派单.
HANDED_OVER_CHANNELS = (Channel.NPC, Channel.CPPCC, Channel.PETITION, Channel.POLICE_110)
# Channels only their own flow files, with the account that speaks for it (the liaison's 登记建议提案, 110's
# signed interface): not offered at the 来电登记, and refused on the API to anyone else.
FLOW_CHANNELS = {Channel.NPC: "proposal.register", Channel.CPPCC: "proposal.register",
                 Channel.POLICE_110: "police110.peer", Channel.PETITION: "petition.register"}
INTAKE_CHANNELS = [(value, label) for value, label in Channel.choices if value not in FLOW_CHANNELS]


def concerns_enterprise(ticket) -> bool:
    """涉企诉求 (a ticket or a snapshot of one): an enterprise is named, or it came through 政企直通车."""
    return bool(ticket.credit_code or ticket.enterprise_name) or ticket.channel == Channel.ENTERPRISE


def enterprise_q(prefix: str = "") -> models.Q:
    """涉企诉求 as a database condition on tickets (the rule of `concerns_enterprise`)."""
    return (~models.Q(**{f"{prefix}credit_code": ""}) | ~models.Q(**{f"{prefix}enterprise_name": ""})
            | models.Q(**{f"{prefix}channel": Channel.ENTERPRISE}))


class Kind(models.TextChoices):
    CONSULT = "consult", "咨询"
    HELP = "help", "求助"
    COMPLAINT = "complaint", "投诉"
    REPORT = "report", "举报"
    SUGGESTION = "suggestion", "建议"
    PRAISE = "praise", "表扬"
    OTHER = "other", "其他"


class Urgency(models.TextChoices):
    NORMAL = "normal", "一般"
    URGENT = "urgent", "紧急"
    CRITICAL = "critical", "特急"


class ReplyResult(models.TextChoices):
    RESOLVED = "resolved", "已解决"
    PARTIAL = "partial", "部分解决"
    UNRESOLVED = "unresolved", "未解决"
    EXPLAINED = "explained", "政策解释"
    UNFOUNDED = "unfounded", "不属实"


class ContactMethod(models.TextChoices):
    PHONE = "phone", "电话"
    SMS = "sms", "短信"
    VISIT = "visit", "上门"
    OTHER = "other", "其他"


class CallbackStatus(models.TextChoices):
    REACHED = "reached", "已回访"
    UNREACHABLE = "unreachable", "无法联系"
    DECLINED = "declined", "拒绝回访"


class Satisfaction(models.TextChoices):
    SATISFIED = "satisfied", "满意"
    BASIC = "basic", "基本满意"
    UNSATISFIED = "unsatisfied", "不满意"


class InvalidReason(models.TextChoices):
    INVALID = "invalid", "无效诉求"
    HARASSMENT = "harassment", "骚扰电话"
    TEST = "test", "测试"


class TicketQuerySet(models.QuerySet):
    def visible_to(self, user):
        from .access import visible_tickets

        return visible_tickets(self, user)


class Ticket(models.Model):
    number = models.CharField("工单编号", max_length=20, unique=True)
    channel = models.CharField("来源渠道", max_length=20, choices=Channel.choices, default=Channel.PHONE)
    kind = models.CharField("诉求类型", max_length=20, choices=Kind.choices, default=Kind.COMPLAINT)
    urgency = models.CharField("紧急程度", max_length=10, choices=Urgency.choices, default=Urgency.NORMAL)
    title = models.CharField("标题", max_length=100)
    content = models.TextField("诉求内容")

    # Personal data: never leaves the back office (Open311 and public pages omit it).
    caller_name = models.CharField("来电人", max_length=50, blank=True)
    caller_phone = models.CharField("联系电话", max_length=30, blank=True)
    # 保密: the caller asked (and every 举报 is): departments see neither name nor phone, anywhere.
    caller_confidential = models.BooleanField("来电人信息保密", default=False)
    # The caller asked for no SMS (受理回执, 答复 notice); numbers that 退订 altogether are in notifications.SmsOptOut.
    sms_opt_out = models.BooleanField("不接收短信", default=False)
    # 公开: the citizen agreed that the request and its answer may be published (masked) once answered. Never for
    # 举报 or a 保密 caller.
    public = models.BooleanField("同意公开", default=False)
    # 查询码: given in the 受理回执 with the number, so the caller (and no one who merely knows the number) can
    # follow the request.
    query_code = models.CharField("查询码", max_length=8, blank=True)
    enterprise_name = models.CharField("企业名称", max_length=100, blank=True)
    credit_code = models.CharField("统一社会信用代码", max_length=18, blank=True)

    address = models.CharField("地址", max_length=200, blank=True)
    region = models.ForeignKey(Region, verbose_name="区划", null=True, blank=True, on_delete=models.PROTECT)
    lat = models.DecimalField("纬度", max_digits=9, decimal_places=6, null=True, blank=True)
    lng = models.DecimalField("经度", max_digits=9, decimal_places=6, null=True, blank=True)
    category = models.ForeignKey(
        Category, verbose_name="诉求分类", null=True, blank=True, on_delete=models.PROTECT, related_name="tickets"
    )
    department = models.ForeignKey(
        Department,
        verbose_name="承办单位",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="tickets",
    )
    state = models.CharField("状态", max_length=20, choices=State.choices, default=State.PENDING_DISPATCH)
    supervised = models.BooleanField("已督办", default=False)
    # 并单: a 子单 follows its 母单's handling and gets the 母单's answer; only MERGE, UNMERGE and REDO set it.
    merged_into = models.ForeignKey(
        "self", verbose_name="并入母单", null=True, blank=True, on_delete=models.PROTECT, related_name="merged_children"
    )
    # 重复来电: the same caller's earlier ticket about the same matter (set at registration by jiesu.hotspots).
    repeat_of = models.ForeignKey(
        "self", verbose_name="重复来电（前次工单）", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Public support where the channel has it (e.g. 点赞 on an online 问政 board); it raises a hotspot's heat.
    support = models.PositiveIntegerField("公众点赞数", default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="登记人", null=True, on_delete=models.PROTECT, related_name="+"
    )

    created_at = models.DateTimeField("登记时间")
    updated_at = models.DateTimeField("更新时间")
    dispatched_at = models.DateTimeField("派单时间", null=True, blank=True)
    signed_at = models.DateTimeField("签收时间", null=True, blank=True)
    replied_at = models.DateTimeField("答复时间", null=True, blank=True)
    callback_at = models.DateTimeField("回访时间", null=True, blank=True)
    closed_at = models.DateTimeField("办结时间", null=True, blank=True)
    invalidated_at = models.DateTimeField("作废时间", null=True, blank=True)
    contacted_at = models.DateTimeField("首次联系诉求人时间", null=True, blank=True)
    # Not indexed: the 升级督办 worklist finds open tickets by state first, and the sweep's flag update can then
    # stay a HOT update (no index entries to write; see the fillfactor in migration 0013).
    escalated_at = models.DateTimeField("升级督办时间", null=True, blank=True)

    # Time limits (jiesu.sla): each clock's deadline and the moment it turns 临期, stored when a clock starts.
    is_complex = models.BooleanField("复杂疑难", default=False)
    sla_rule = models.ForeignKey(
        "sla.TimeLimitRule", verbose_name="适用时限规则", null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    sign_due_at = models.DateTimeField("签收期限", null=True, blank=True, db_index=True)
    sign_warn_at = models.DateTimeField("签收临期时间", null=True, blank=True, db_index=True)
    contact_due_at = models.DateTimeField("响应期限", null=True, blank=True, db_index=True)
    contact_warn_at = models.DateTimeField("响应临期时间", null=True, blank=True, db_index=True)
    reply_due_at = models.DateTimeField("答复期限", null=True, blank=True, db_index=True)
    reply_warn_at = models.DateTimeField("答复临期时间", null=True, blank=True, db_index=True)
    callback_due_at = models.DateTimeField("回访期限", null=True, blank=True, db_index=True)
    callback_warn_at = models.DateTimeField("回访临期时间", null=True, blank=True, db_index=True)

    # Codes of the bigrams of the searchable text (tickets.search): 工单查询's index on PostgreSQL.
    search_grams = models.TextField("检索索引", blank=True, default="", editable=False)

    reply_text = models.TextField("答复内容", blank=True)
    reply_result = models.CharField("办理结果", max_length=20, choices=ReplyResult.choices, blank=True)
    callback_status = models.CharField("回访情况", max_length=20, choices=CallbackStatus.choices, blank=True)
    satisfaction = models.CharField("满意度", max_length=20, choices=Satisfaction.choices, blank=True)
    resolved = models.BooleanField("是否解决", null=True, blank=True)
    invalid_reason = models.CharField("作废原因", max_length=20, choices=InvalidReason.choices, blank=True)

    objects = TicketQuerySet.as_manager()

    class Meta:
        verbose_name = "工单"
        verbose_name_plural = "工单"
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["state", "department"]),
            models.Index(fields=["created_at"]),
            models.Index(fields=["department", "created_at"]),
            models.Index(fields=["satisfaction", "callback_at"]),  # 回访不满意 lists
        ]

    def __str__(self):
        return f"{self.number} {self.title}"

    def save(self, *args, **kwargs):
        if getattr(self, "masked_for", None) is not None:
            raise TypeError("脱敏后用于展示的工单不能保存")
        super().save(*args, **kwargs)

    @property
    def concerns_enterprise(self) -> bool:
        """涉企诉求: an enterprise is named, or it came through 政企直通车 (the same rule as `enterprise_q`)."""
        return concerns_enterprise(self)

    @property
    def pending_extension(self):
        return self.extensions.filter(status=ExtensionRequest.Status.PENDING).first()

    @property
    def pending_return(self):
        return self.return_requests.filter(status=ReturnRequest.Status.PENDING).select_related("evidence").first()

    @property
    def pending_review(self):
        return self.reply_reviews.filter(status=ReplyReview.Status.PENDING).first()


class TicketAssignment(models.Model):
    """Every department a ticket was ever sent to; department staff keep seeing tickets they once held."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="assignments")
    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="+")
    assigned_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["ticket", "department"], name="uniq_ticket_assignment")
        ]

    def __str__(self):
        return f"{self.ticket_id} → {self.department_id}"


class ExtensionRequest(models.Model):
    """申请延期: its own small process beside the ticket (pending → approved / rejected)."""

    class Status(models.TextChoices):
        PENDING = "pending", "待审批"
        APPROVED = "approved", "已批准"
        REJECTED = "rejected", "已驳回"
        WITHDRAWN = "withdrawn", "已撤销"

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="extensions")
    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="+")
    reason = models.TextField("延期理由")
    requested_due_at = models.DateTimeField("申请延期至")
    previous_due_at = models.DateTimeField("原答复期限", null=True, blank=True)
    status = models.CharField("状态", max_length=20, choices=Status.choices, default=Status.PENDING)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField()
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.TextField("审批意见", blank=True)

    class Meta:
        verbose_name = "延期申请"
        verbose_name_plural = "延期申请"
        ordering = ["-requested_at"]
        constraints = [
            # At most one pending request per ticket, enforced by the database too.
            models.UniqueConstraint(
                fields=["ticket"], condition=models.Q(status="pending"), name="uniq_pending_extension"
            )
        ]

    def __str__(self):
        return f"{self.ticket_id} 延期至 {self.requested_due_at:%Y-%m-%d}（{self.get_status_display()}）"


class AssistPart(models.Model):
    """协办: one assisting unit's part of a ticket another unit leads (主办). The assisting unit signs, then sends
    its part (意见) to the lead within its own limit; the lead answers the caller. Open while 待签收 or 办理中."""

    class Status(models.TextChoices):
        PENDING_SIGN = "pending_sign", "待签收"
        IN_PROGRESS = "in_progress", "办理中"
        SUBMITTED = "submitted", "已反馈"
        UNSUBMITTED = "unsubmitted", "未反馈"  # its limit had passed when the lead answered without it
        NOT_NEEDED = "not_needed", "主办已先行答复"  # the lead answered before the part was due: not measured
        WITHDRAWN = "withdrawn", "已撤销"  # the ticket left the lead (撤回, 退单, 作废)

    OPEN = (Status.PENDING_SIGN, Status.IN_PROGRESS)

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="assists")
    department = models.ForeignKey(Department, verbose_name="协办单位", on_delete=models.PROTECT, related_name="+")
    status = models.CharField("状态", max_length=20, choices=Status.choices, default=Status.PENDING_SIGN)
    assigned_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    assigned_at = models.DateTimeField("派发时间")
    due_at = models.DateTimeField("反馈期限", null=True, blank=True)
    signed_at = models.DateTimeField("签收时间", null=True, blank=True)
    submitted_at = models.DateTimeField("反馈时间", null=True, blank=True)
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="+")
    text = models.TextField("协办意见", blank=True)

    class Meta:
        verbose_name = "协办"
        verbose_name_plural = "协办"
        ordering = ["assigned_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["ticket", "department"], condition=models.Q(status__in=["pending_sign",
                                                                                              "in_progress"]),
                                    name="uniq_open_assist")
        ]

    def __str__(self):
        return f"{self.ticket_id} 协办 {self.department_id}（{self.get_status_display()}）"

    @property
    def on_time(self) -> bool | None:
        if self.submitted_at is None or self.due_at is None:
            return None if self.status in self.OPEN else False
        return self.submitted_at <= self.due_at


class ReturnReason(models.TextChoices):
    NOT_OURS = "not_ours", "非本单位职责"
    UNREACHABLE = "unreachable", "信息不全无法联系"
    WRONG_AREA = "wrong_area", "属地不符"
    OTHER = "other", "其他"


class ReturnRequest(models.Model):
    """退单审核: a unit asks to give a ticket back; the dispatcher upholds it (the ticket waits for dispatch again)
    or rejects it (the ticket stays with the unit, its clocks running). While it waits the unit cannot act on
    the ticket except to contact the caller."""

    class Status(models.TextChoices):
        PENDING = "pending", "待审核"
        APPROVED = "approved", "已同意"
        REJECTED = "rejected", "已驳回"
        WITHDRAWN = "withdrawn", "已撤销"

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="return_requests")
    department = models.ForeignKey(Department, verbose_name="退单单位", on_delete=models.PROTECT, related_name="+")
    reason_category = models.CharField("退单原因", max_length=20, choices=ReturnReason.choices)
    reason = models.TextField("退单说明")
    evidence = models.ForeignKey("Attachment", verbose_name="退单依据", null=True, blank=True,
                                 on_delete=models.SET_NULL, related_name="+")
    status = models.CharField("状态", max_length=20, choices=Status.choices, default=Status.PENDING)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField()
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.TextField("审核意见", blank=True)

    class Meta:
        verbose_name = "退单申请"
        verbose_name_plural = "退单申请"
        ordering = ["-requested_at"]
        constraints = [
            models.UniqueConstraint(fields=["ticket"], condition=models.Q(status="pending"), name="uniq_pending_return")
        ]

    def __str__(self):
        return f"{self.ticket_id} 退单（{self.get_status_display()}）"


class ReplyReviewRule(models.Model):
    """答复审核: answers to tickets of these categories, or handled by these units (each with everything below
    it), are reviewed by the hotline centre before they go to callback. No rule: answers go straight on."""

    category = models.ForeignKey(Category, verbose_name="诉求分类（含下级）", null=True, blank=True,
                                 on_delete=models.CASCADE, related_name="+")
    department = models.ForeignKey(Department, verbose_name="承办单位（含下级）", null=True, blank=True,
                                   on_delete=models.CASCADE, related_name="+")
    # Sent back with a note: by default the unit's reply limit keeps running; with this, the send-back is a 重办
    # for the unit (a fresh reply limit, and it counts in the dashboard's 重办 figures — docs/kpi.md).
    sendback_counts_as_redo = models.BooleanField("退回视为重办", default=False)
    active = models.BooleanField("启用", default=True)

    class Meta:
        verbose_name = "答复审核规则"
        verbose_name_plural = "答复审核规则"
        constraints = [
            models.CheckConstraint(condition=models.Q(category__isnull=False) | models.Q(department__isnull=False),
                                   name="reply_review_rule_scope")
        ]

    def __str__(self):
        scope = [str(x) for x in (self.category, self.department) if x is not None]
        return "答复审核：" + "、".join(scope)


class ReplyReview(models.Model):
    """An answer waiting for the centre's review. Approved, it becomes the ticket's answer, dated when the unit
    submitted it; sent back, the unit answers again."""

    class Status(models.TextChoices):
        PENDING = "pending", "待审核"
        APPROVED = "approved", "已通过"
        REJECTED = "rejected", "已退回"
        WITHDRAWN = "withdrawn", "已撤销"

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="reply_reviews")
    department = models.ForeignKey(Department, verbose_name="答复单位", on_delete=models.PROTECT, related_name="+")
    reply_text = models.TextField("答复内容")
    reply_result = models.CharField("办理结果", max_length=20, choices=ReplyResult.choices)
    contacted = models.JSONField("已联系诉求人", default=dict, blank=True)
    counts_as_redo = models.BooleanField("退回视为重办", default=False)
    status = models.CharField("状态", max_length=20, choices=Status.choices, default=Status.PENDING)
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    submitted_at = models.DateTimeField()
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.TextField("审核意见", blank=True)

    class Meta:
        verbose_name = "答复审核"
        verbose_name_plural = "答复审核"
        ordering = ["-submitted_at"]
        constraints = [
            models.UniqueConstraint(fields=["ticket"], condition=models.Q(status="pending"),
                                    name="uniq_pending_reply_review")
        ]

    def __str__(self):
        return f"{self.ticket_id} 答复审核（{self.get_status_display()}）"


class AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise TypeError("工单流转记录只能追加，不能修改")

    def delete(self):
        raise TypeError("工单流转记录只能追加，不能删除")


class TicketEvent(models.Model):
    """One row per action on a ticket. Append-only: nothing edits or deletes events."""

    ticket = models.ForeignKey(Ticket, on_delete=models.PROTECT, related_name="events")
    action = models.CharField("动作", max_length=30)
    from_state = models.CharField("原状态", max_length=20, choices=State.choices, blank=True)
    to_state = models.CharField("新状态", max_length=20, choices=State.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="操作人", null=True, on_delete=models.PROTECT, related_name="+"
    )
    actor_department = models.ForeignKey(
        Department, verbose_name="操作单位", null=True, on_delete=models.PROTECT, related_name="+"
    )
    department = models.ForeignKey(
        Department, verbose_name="涉及单位", null=True, on_delete=models.PROTECT, related_name="+"
    )
    note = models.TextField("说明", blank=True)
    data = models.JSONField("附加信息", default=dict, blank=True)
    created_at = models.DateTimeField("时间")

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        verbose_name = "流转记录"
        verbose_name_plural = "流转记录"
        ordering = ["created_at", "id"]

    def __str__(self):
        return f"{self.ticket_id} {self.action} {self.from_state}→{self.to_state}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise TypeError("工单流转记录只能追加，不能修改")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise TypeError("工单流转记录只能追加，不能删除")

    @property
    def actor_label(self) -> str:
        """Who acted, for pages, exports and the API: the person, or the system for entries nobody wrote by hand
        (the time-limit sweep's 临期/超期/催办/升级督办)."""
        if self.actor_id is None:
            from .workflow import SystemEvent

            return "系统（时限监控）" if self.action in SystemEvent.values else "系统"
        return self.actor.get_full_name() or self.actor.username

    @property
    def action_label(self) -> str:
        from .workflow import Action, LinkEvent, SystemEvent

        for choices in (Action, SystemEvent, LinkEvent):
            if self.action in choices.values:
                return choices(self.action).label
        return self.action


def attachment_path(instance, filename):
    return f"attachments/{instance.ticket.number}/{filename}"


class Attachment(models.Model):
    class Purpose(models.TextChoices):
        REQUEST = "request", "诉求材料"
        REPLY = "reply", "答复材料"
        RETURN = "return", "退单依据"
        OTHER = "other", "其他"

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="attachments")
    purpose = models.CharField("用途", max_length=20, choices=Purpose.choices, default=Purpose.REQUEST)
    file = models.FileField("文件", upload_to=attachment_path)
    name = models.CharField("文件名", max_length=200)
    size = models.PositiveIntegerField("大小（字节）")
    content_type = models.CharField("类型", max_length=100)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField()

    class Meta:
        verbose_name = "附件"
        verbose_name_plural = "附件"
        ordering = ["uploaded_at", "id"]

    def __str__(self):
        return self.name


class TicketNumberSequence(models.Model):
    """Per-day counter behind ticket numbers (yyyymmdd + 5 digits)."""

    day = models.CharField(max_length=8, primary_key=True)
    last = models.PositiveIntegerField(default=0)

    def __str__(self):
        return f"{self.day}:{self.last}"


class CallerDataView(models.Model):
    """Each time department staff were shown a caller's name and phone (the access log the 个人信息保护法
    expects). Append-only; supervisors read it at 来电人信息查看记录."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="查看人", on_delete=models.PROTECT, related_name="+")
    department = models.ForeignKey(Department, verbose_name="查看人单位", null=True, on_delete=models.PROTECT,
                                   related_name="+")
    via = models.CharField("途径", max_length=10)  # page or api
    viewed_at = models.DateTimeField("查看时间", db_index=True)

    class Meta:
        verbose_name = "来电人信息查看记录"
        verbose_name_plural = "来电人信息查看记录"
        ordering = ["-viewed_at", "-id"]

    def __str__(self):
        return f"{self.user_id} 查看 {self.ticket_id} 来电人信息"


class IncomingCall(models.Model):
    """来电弹屏: the telephony system announced a call to an operator; their open 来电登记 page shows it once."""

    agent = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="坐席", on_delete=models.CASCADE, related_name="+")
    phone = models.CharField("来电号码", max_length=30)
    created_at = models.DateTimeField("来电时间")
    shown_at = models.DateTimeField("弹屏时间", null=True, blank=True)

    class Meta:
        verbose_name = "来电弹屏"
        verbose_name_plural = "来电弹屏"
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["agent", "created_at"])]

    def __str__(self):
        return f"{self.agent_id} {self.created_at:%H:%M:%S}"
