"""Telling people: notifications in the app and the outbox of messages to send elsewhere.

`notify()` is what the lifecycle observer (events.py) calls inside the action's transaction; the list, counts and
marking read are what the pages and the API call. Nothing here sends: `delivery.deliver()` does, later.
"""

import re
import uuid
from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.db.models import OuterRef, Subquery

from jiesu.core import clock
from jiesu.core.errors import NotFound, ValidationFailed
from jiesu.directory.models import Role, Staff

from . import templates
from .models import Channel, Delivery, Event, Notification, Preference

# The channels besides the app each event uses for a user who chose nothing: what a unit must not miss by SMS.
DEFAULTS: dict[str, tuple[str, ...]] = {
    Event.SLA_WARNING: (Channel.SMS,),
    Event.SLA_OVERDUE: (Channel.SMS,),
    Event.URGE: (Channel.SMS,),
    Event.ESCALATE: (Channel.SMS,),
}
EXTERNAL = (Channel.EMAIL, Channel.SMS, Channel.WEBHOOK)
MOBILE = re.compile(r"^1[3-9]\d{9}$")


@dataclass(frozen=True)
class Recipient:
    user_id: int
    username: str
    phone: str
    email: str
    channels: tuple[str, ...]  # besides the app, for this event


@dataclass
class Notice:
    """One event on one ticket, to be told to some people."""

    event: str
    ticket_id: int | None
    number: str
    data: dict  # template placeholders: number, category, department, due, …
    note: str = ""  # the actor's words (退单理由, 督办意见…): in the app only
    urgent: bool = False  # 特急: SMS is not held in the quiet hours
    recipients: list[Recipient] = field(default_factory=list)


def recipients(event: str, staff_filter, *, exclude: int | None = None) -> list[Recipient]:
    """The active staff matching `staff_filter` (a Q on Staff), each with their channels for this event: one
    query (the preference is a subquery)."""
    chosen = Preference.objects.filter(user_id=OuterRef("user_id"), event=event).values("channels")[:1]
    rows = (Staff.objects.filter(staff_filter, user__is_active=True)
            .annotate(chosen=Subquery(chosen))
            .values_list("user_id", "user__username", "phone", "user__email", "chosen")
            .distinct().order_by("user_id"))
    default = DEFAULTS.get(event, ())
    return [Recipient(uid, username, phone or "", email or "",
                      tuple(c for c in (default if chosen is None else chosen) if c in EXTERNAL))
            for uid, username, phone, email, chosen in rows if uid != exclude]


def role_q(role: Role, department_ids=None):
    from django.db.models import Q

    q = Q(roles__role=role.value)
    if department_ids is not None:
        q &= Q(department_id__in=list(department_ids))
    return q


def _link(number: str) -> str:
    return f"{settings.JIESU_BASE_URL.rstrip('/')}/tickets/{number}/" if settings.JIESU_BASE_URL and number else ""


def _address(recipient: Recipient, channel: str) -> str:
    if channel == Channel.SMS:
        return recipient.phone
    if channel == Channel.EMAIL:
        return recipient.email
    return recipient.username


def notify(notices: list[Notice], now: datetime | None = None) -> int:
    """Write the notifications and their outbox messages (in the caller's transaction): two inserts for any number
    of notices. Returns how many notifications were written."""
    now = now or clock.now()
    rows, wanted = [], []
    for notice in notices:
        label = Event(notice.event).label
        body = templates.render(templates.text_of(notice.event), {**notice.data, "link": ""})
        body = body.removeprefix("【12345】").strip()
        if notice.note:
            body += f"\n说明：{notice.note}"
        for r in notice.recipients:
            rows.append(Notification(user_id=r.user_id, event=notice.event, ticket_id=notice.ticket_id,
                                     title=f"{label}：工单{notice.number}" if notice.number else label,
                                     body=body, created_at=now))
            wanted.append((notice, r))
    if not rows:
        return 0
    Notification.objects.bulk_create(rows)
    messages = []
    for row, (notice, r) in zip(rows, wanted, strict=True):
        for channel in r.channels:
            to = _address(r, channel)
            if not to:
                continue
            messages.append(outbox(channel, to, notice.event, {**notice.data, "link": _link(notice.number)},
                                   ticket_id=notice.ticket_id, notification=row, urgent=notice.urgent, now=now))
    if messages:
        Delivery.objects.bulk_create(messages)
    return len(rows)


def outbox(channel: str, to: str, template: str, data: dict, *, ticket_id=None, notification=None,
           urgent: bool = False, now: datetime | None = None) -> Delivery:
    """One message for the outbox (not saved)."""
    now = now or clock.now()
    return Delivery(key=uuid.uuid4().hex, channel=channel, to=to, template=template, data=data, ticket_id=ticket_id,
                    notification=notification, urgent=urgent, next_attempt_at=now, created_at=now)


def caller_sms(ticket, template: str, data: dict, *, urgent: bool = False) -> Delivery | None:
    """A message to the ticket's caller, if they have a mobile number and did not decline SMS for this ticket
    (a number that 退订 altogether is checked when sending)."""
    if not settings.JIESU_CALLER_SMS or ticket.sms_opt_out or not MOBILE.match(ticket.caller_phone or ""):
        return None
    return outbox(Channel.SMS, ticket.caller_phone, template, {"number": ticket.number, **data},
                  ticket_id=ticket.pk, urgent=urgent)


# ---------------------------------------------------------------- reading and marking


def unread_count(user) -> int:
    return Notification.objects.filter(user=user, read_at__isnull=True).count()


def listing(user, *, unread_only: bool = False):
    notifications = Notification.objects.filter(user=user).select_related("ticket")
    return notifications.filter(read_at__isnull=True) if unread_only else notifications


def mark_read(user, notification_id: int) -> Notification:
    """Mark one of the user's notifications read (again is harmless); NotFound for anyone else's."""
    notification = Notification.objects.filter(user=user, pk=notification_id).select_related("ticket").first()
    if notification is None:
        raise NotFound("通知不存在", code="notification_not_found")
    if notification.read_at is None:
        notification.read_at = clock.now()
        Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(read_at=notification.read_at)
    return notification


def mark_all_read(user) -> int:
    return Notification.objects.filter(user=user, read_at__isnull=True).update(read_at=clock.now())


# ---------------------------------------------------------------- preferences

STAFF_EVENTS = [e for e in Event]


def preferences(user) -> dict[str, tuple[str, ...]]:
    chosen = dict(Preference.objects.filter(user=user).values_list("event", "channels"))
    return {e.value: tuple(chosen.get(e.value, DEFAULTS.get(e.value, ()))) for e in STAFF_EVENTS}


def set_preferences(user, choices: dict[str, list[str]]) -> None:
    """Each event's channels besides the app (the app always). Unknown events or channels are refused."""
    errors = {}
    for event, channels in choices.items():
        if event not in Event.values:
            errors[event] = f"未知的事件：{event}"
        elif any(c not in EXTERNAL for c in channels):
            errors[event] = "渠道只能是电子邮件、短信或政务消息"
    if errors:
        raise ValidationFailed(errors)
    for event, channels in choices.items():
        Preference.objects.update_or_create(user=user, event=event,
                                            defaults={"channels": [c for c in EXTERNAL if c in channels]})
