"""通知: what a user is told (in the app), the outbox of messages to send elsewhere (SMS, e-mail, webhook), each
user's choice of channels, editable message templates and the numbers that 退订 SMS."""

from django.conf import settings
from django.db import models


class Event(models.TextChoices):
    """What happened, as the person told sees it. Workflow actions keep their own codes."""

    DISPATCH = "dispatch", "新派单"
    SUBDISPATCH = "subdispatch", "下派"
    WITHDRAW = "withdraw", "撤回"
    ASSIST = "assist", "协办"
    ASSIST_DONE = "assist_done", "协办反馈"
    SLA_WARNING = "sla_warning", "临期提醒"
    SLA_OVERDUE = "sla_overdue", "超期"
    URGE = "urge", "催办"
    ESCALATE = "escalate", "升级督办"
    RETURN = "return", "退单"
    RETURN_DECIDED = "return_decided", "退单审核结果"
    REPLY_REVIEW = "reply_review", "答复待审核"
    REPLY_REVIEWED = "reply_reviewed", "答复审核结果"
    EXTENSION_REQUEST = "request_extension", "延期申请"
    EXTENSION_DECIDED = "extension_decided", "延期批复"
    REDO = "redo", "重办"
    SUPERVISE = "supervise", "督办"
    MERGE = "merge", "并单"
    UNSATISFIED = "unsatisfied", "回访不满意"
    HELPED_MATTER = "helped_matter", "帮办事项进展"  # to the 帮办员 of the enterprise (jiesu.enterprise.helpers)


class Channel(models.TextChoices):
    IN_APP = "in_app", "站内通知"
    EMAIL = "email", "电子邮件"
    SMS = "sms", "短信"
    WEBHOOK = "webhook", "政务消息（Webhook）"
    PEER = "peer", "对接系统"  # another system's interface (110): `to` names the peer, `data` is the message


class Notification(models.Model):
    """One thing one user is told, in the app. Unread until opened or marked read."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    event = models.CharField("事件", max_length=30, choices=Event.choices)
    ticket = models.ForeignKey("tickets.Ticket", verbose_name="工单", null=True, on_delete=models.CASCADE,
                               related_name="+")
    title = models.CharField("标题", max_length=200)
    body = models.TextField("内容", blank=True)
    created_at = models.DateTimeField("时间")
    read_at = models.DateTimeField("已读时间", null=True, blank=True)

    class Meta:
        verbose_name = "站内通知"
        verbose_name_plural = "站内通知"
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "read_at"]), models.Index(fields=["user", "-created_at"])]

    def __str__(self):
        return self.title


class Delivery(models.Model):
    """The outbox: one message to send through one channel. Written in the transaction of the action that caused
    it (so none is sent for an action that rolled back, and none is lost for one that committed); sent later by
    `jiesu notify deliver` (notifications.delivery)."""

    class Status(models.TextChoices):
        PENDING = "pending", "待发送"
        SENT = "sent", "已发送"
        DEAD = "dead", "发送失败"
        SKIPPED = "skipped", "未发送（已退订）"

    # Sent with the message (Idempotency-Key): a gateway that honours it never delivers one message twice, even
    # when the deliverer dies between sending and recording that it sent.
    key = models.CharField("幂等键", max_length=64, unique=True)
    channel = models.CharField("渠道", max_length=10, choices=Channel.choices)
    to = models.CharField("接收方", max_length=200)  # phone, e-mail address, or the user name for the webhook
    template = models.CharField("模板", max_length=30)  # MessageTemplate.Code
    data = models.JSONField("模板数据", default=dict)
    notification = models.ForeignKey(Notification, null=True, blank=True, on_delete=models.CASCADE,
                                     related_name="deliveries")
    ticket = models.ForeignKey("tickets.Ticket", verbose_name="工单", null=True, blank=True,
                               on_delete=models.SET_NULL, related_name="+")
    urgent = models.BooleanField("不受免打扰限制", default=False)
    status = models.CharField("状态", max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField("已尝试次数", default=0)
    next_attempt_at = models.DateTimeField("下次发送时间")
    lease_until = models.DateTimeField("发送占用至", null=True, blank=True)
    created_at = models.DateTimeField("创建时间")
    sent_at = models.DateTimeField("发送时间", null=True, blank=True)
    text = models.TextField("发送内容", blank=True)  # as rendered when sent
    last_error = models.TextField("最近错误", blank=True)
    response = models.CharField("网关回执", max_length=200, blank=True)

    class Meta:
        verbose_name = "消息投递"
        verbose_name_plural = "消息投递"
        ordering = ["-id"]
        indexes = [models.Index(fields=["status", "next_attempt_at"])]

    def __str__(self):
        return f"{self.get_channel_display()} {self.template} → {self.get_status_display()}"


class Preference(models.Model):
    """The channels besides the app a user wants for one event. No row: the event's defaults (events.DEFAULTS)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    event = models.CharField("事件", max_length=30, choices=Event.choices)
    channels = models.JSONField("渠道", default=list)

    class Meta:
        verbose_name = "通知偏好"
        verbose_name_plural = "通知偏好"
        constraints = [models.UniqueConstraint(fields=["user", "event"], name="uniq_notification_preference")]

    def __str__(self):
        return f"{self.user_id} {self.event} {self.channels}"


class MessageTemplate(models.Model):
    """The text of one kind of message (SMS, and the e-mail and webhook text). Without a row the built-in text
    (templates.DEFAULTS) is used; placeholders are written {number}, {category}, …"""

    code = models.CharField("模板", max_length=30, unique=True)
    text = models.TextField("内容")
    updated_at = models.DateTimeField("修改时间", auto_now=True)

    class Meta:
        verbose_name = "消息模板"
        verbose_name_plural = "消息模板"
        ordering = ["code"]

    def __str__(self):
        from .templates import label

        return label(self.code)


class SmsOptOut(models.Model):
    """退订: a number that receives no SMS from the hotline (it replied TD, or asked an operator)."""

    phone = models.CharField("手机号码", max_length=30, unique=True)
    note = models.CharField("说明", max_length=200, blank=True)
    created_at = models.DateTimeField("退订时间", auto_now_add=True)

    class Meta:
        verbose_name = "短信退订"
        verbose_name_plural = "短信退订"
        ordering = ["-created_at"]

    def __str__(self):
        from jiesu.core.masking import mask_phone

        return mask_phone(self.phone)
