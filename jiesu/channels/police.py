"""110 ↔ 12345 联动 (推动110与12345热线并轨运行) on the ticket core (docs/channels.md).

Both ways a ticket carries a `PoliceTransfer`:

- **转入**, 110 → 12345: 110's system files a 非警务 call through the API (`receive`, its own account and token,
  every request signed). It becomes a ticket on channel 110转办 (the channel's urgent time-limit rule). The centre
  **签收s** it (`Action.ACCEPT_110`, or by dispatching it) within JIESU_POLICE110_ACK_MINUTES, and 110 is told; it
  is then handled as any ticket, and 110 hears of each step: 派单, the 答复 (the **回传** of the result, due by the
  ticket's 答复 deadline), 办结. A call that is a 警情 after all goes back with 转110.
- **转出**, 12345 → 110: the centre hands a 警情 to 110 (`Action.TRANSFER_110`, before dispatch); the ticket is
  已转110 and leaves the rates. 110 answers on the API (`peer_message`): its 签收 (with its 接警编号), its
  处警结果, or 110退回 when it is no 警情, which puts the ticket back on the 派单台.

Our messages to 110 go through the notifications outbox (channel `peer`, peer "110"): written in the action's
transaction, sent by `jiesu notify deliver` with the outbox's idempotency key, lease, backoff and dead letters, and
signed as 110's are (HMAC-SHA256 of "<timestamp>.<body>" with JIESU_POLICE110_SECRET). Each carries `seq`, its
number among the messages about that ticket, so 110 can put a retried message back in order.
What 110 sends twice is taken once: a transfer by its 警情编号 (and Idempotency-Key), a message by its id.
"""

import hmac
import json
import logging
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils.dateparse import parse_datetime

from jiesu.core import clock, idempotency
from jiesu.core.errors import Conflict, NotFound, PermissionDenied, ServiceError, ValidationFailed
from jiesu.core.validators import is_storable_text
from jiesu.directory.permissions import has_perm
from jiesu.notifications import channels as outbound
from jiesu.notifications.models import Channel, Delivery
from jiesu.notifications.services import outbox
from jiesu.sla import services as sla
from jiesu.tickets import access
from jiesu.tickets import services as tickets
from jiesu.tickets.models import Channel as TicketChannel
from jiesu.tickets.models import Kind, Ticket, Urgency
from jiesu.tickets.workflow import Action, State

from .models import PoliceMessage, PoliceTransfer

logger = logging.getLogger(__name__)

PEER = "110"
Direction = PoliceTransfer.Direction
URGENCY = {"normal": Urgency.NORMAL, "一般": Urgency.NORMAL, "urgent": Urgency.URGENT, "紧急": Urgency.URGENT,
           "critical": Urgency.CRITICAL, "特急": Urgency.CRITICAL}
KIND = {**{k.value: k for k in Kind if k != Kind.PRAISE}, **{k.label: k for k in Kind if k != Kind.PRAISE}}
# What 110 hears of a 转入 as it is handled.
PROGRESS = {
    Action.DISPATCH: "dispatched", Action.REPLY: "replied", Action.APPROVE_REPLY: "replied",
    Action.FOLLOW_REPLY: "replied", Action.CALLBACK: "closed", Action.EVALUATE: "closed",
    Action.INSTANT_CLOSE: "closed", Action.REDO: "reopened", Action.INVALIDATE: "terminated",
}
PROGRESS_LABEL = {"dispatched": "已派单", "replied": "已答复", "closed": "已办结", "reopened": "重新办理",
                  "terminated": "已终止"}


class BadSignature(ServiceError):
    status = 401
    code = "bad_signature"


REPORTED_WITHIN_DAYS = 30  # a 警情 110 hands over is fresh; older is a wrong date


class MessageIdReused(ServiceError):
    status = 422
    code = "message_id_reused"


class NotConfigured(ServiceError):
    status = 403  # the interface is off until the secret is set
    code = "police110_not_configured"


# ---------------------------------------------------------------- signatures, both ways

def verify(request) -> None:
    """A request from 110's system must be signed with the shared secret, and recently."""
    secret = settings.JIESU_POLICE110_SECRET
    if not secret:
        raise NotConfigured("未配置110联动密钥（JIESU_POLICE110_SECRET），暂不能对接")
    stamp = request.headers.get("X-Jiesu-Timestamp", "")
    if not stamp.isdecimal() or abs(time.time() - int(stamp)) > settings.JIESU_POLICE110_SKEW_SECONDS:
        raise BadSignature("签名时间戳缺失或已过期（X-Jiesu-Timestamp）")
    given = request.headers.get("X-Jiesu-Signature", "").encode("utf-8", "surrogateescape")
    # bytes: compare_digest refuses str that is not ASCII, and a header may carry anything
    if not hmac.compare_digest(outbound.signature(secret, stamp, request.body).encode(), given):
        raise BadSignature("签名无效（X-Jiesu-Signature）")


def send(message: outbound.Message) -> str:
    """The outbox's sender for peer "110": POST the message, signed; 110's receipt (接警编号) of a 转110 is kept."""
    url, secret = settings.JIESU_POLICE110_URL, settings.JIESU_POLICE110_SECRET
    if not url or not secret:
        raise outbound.PermanentFailure("未配置110对接地址或密钥（JIESU_POLICE110_URL、JIESU_POLICE110_SECRET）")
    body = json.dumps({"id": message.key, **message.data}, ensure_ascii=False).encode("utf-8")
    stamp = str(int(time.time()))
    headers = {"Content-Type": "application/json; charset=utf-8", "Idempotency-Key": message.key,
               "X-Jiesu-Timestamp": stamp, "X-Jiesu-Signature": outbound.signature(secret, stamp, body)}
    answer = outbound._post(url, body, headers, settings.JIESU_NOTIFY_TIMEOUT)
    try:
        receipt = str(json.loads(answer).get("receipt") or "")[:40]
    except (ValueError, AttributeError):
        receipt = ""
    if receipt and message.data.get("type") == "transfer":
        try:
            PoliceTransfer.objects.filter(ticket__number=message.data.get("ticket"), direction=Direction.OUTBOUND,
                                          event_number="").update(event_number=receipt)
        except IntegrityError:  # 110 gave a number it gave before: kept in the delivery's receipt only
            logger.warning("110回执编号重复：%s", receipt)
    return receipt or answer[:200]


def _queue(link: PoliceTransfer, kind: str, facts: dict, now: datetime) -> Delivery:
    """One message to 110 about this transfer, in the caller's transaction (numbered: `seq`)."""
    link.sent += 1
    PoliceTransfer.objects.filter(pk=link.pk).update(sent=link.sent)
    ticket = link.ticket
    data = {"type": kind, "seq": link.sent, "ticket": ticket.number, "event_number": link.event_number,
            "at": now.isoformat(), **facts}
    data["summary"] = f"{kind} {ticket.number} {link.event_number}".strip()
    message = outbox(Channel.PEER, PEER, f"police_{kind}", data, ticket_id=ticket.pk, urgent=True, now=now)
    message.save()
    return message


# ---------------------------------------------------------------- 转入: 110 → 12345

def _field(data: dict, name: str, label: str, errors: dict, *, limit: int, required: bool = False) -> str:
    value = data.get(name)
    value = "" if value is None else str(value).replace("\r\n", "\n").strip()
    if required and not value:
        errors[name] = f"缺少{label}"
    elif len(value) > limit or not is_storable_text(value):
        errors[name] = f"{label}不超过{limit}字，且不能含有无法保存的字符"
    return value


@dataclass
class Received:
    link: PoliceTransfer
    created: bool  # False: 110 sent this 警情编号 before; the same ticket is answered


def receive(actor, data: dict, claim=None) -> Received:
    """A 非警务 transfer from 110: a ticket on channel 110转办 and its `PoliceTransfer`, in one transaction. The same
    警情编号 again answers with the ticket it made."""
    if not has_perm(actor, "police110.peer"):
        raise PermissionDenied("只有110联动系统的账号可以转入警情", code="action_forbidden")
    if not isinstance(data, dict):
        raise ValidationFailed({"body": "请求体须为JSON对象"})
    errors: dict[str, str] = {}
    event_number = _field(data, "event_number", "110警情编号", errors, limit=40, required=True)
    content = _field(data, "content", "报警内容", errors, limit=4000, required=True)
    category = _field(data, "category", "警情类别", errors, limit=50)
    address = _field(data, "address", "事发地址", errors, limit=200)
    caller_name = _field(data, "caller_name", "报警人", errors, limit=50)
    caller_phone = _field(data, "caller_phone", "联系电话", errors, limit=20, required=True)
    kind = KIND.get(str(data.get("kind") or "求助").strip())
    if kind is None:
        errors["kind"] = "诉求类型须为求助、投诉、咨询、举报、建议或其他"
    urgency = URGENCY.get(str(data.get("urgency") or "normal").strip())
    if urgency is None:
        errors["urgency"] = "紧急程度须为 normal/urgent/critical（一般/紧急/特急）"
    reported_at = None
    if data.get("reported_at"):
        reported_at = parse_datetime(str(data["reported_at"]))
        if reported_at is None or reported_at.tzinfo is None:
            errors["reported_at"] = "报警时间须为带时区的ISO 8601时间，如 2026-11-28T20:15:00+08:00"
            reported_at = None
        elif reported_at > clock.now() + timedelta(minutes=5):
            errors["reported_at"] = "报警时间不能晚于现在"
        elif reported_at < clock.now() - timedelta(days=REPORTED_WITHIN_DAYS):
            # a year-1 date is a broken clock on the other side, and would not even convert to local time
            errors["reported_at"] = f"报警时间不能早于{REPORTED_WITHIN_DAYS}天前"
    if errors:
        raise ValidationFailed(errors, message="110转办内容有误")
    found = PoliceTransfer.objects.filter(direction=Direction.INBOUND, event_number=event_number).first()
    if found is not None:
        _keep_key(claim, found.ticket)
        return Received(found, created=False)
    text = f"【110转办】{f'（{category}）' if category else ''}{content}"
    try:
        return Received(_receive(actor, event_number, reported_at, urgency, {
            "channel": TicketChannel.POLICE_110, "kind": kind,
            "urgency": urgency, "content": text, "caller_name": caller_name, "caller_phone": caller_phone,
            "address": address}, claim), created=True)
    except IntegrityError:  # the same 警情编号 at the same moment: the other copy made the ticket
        found = PoliceTransfer.objects.filter(direction=Direction.INBOUND, event_number=event_number).first()
        if found is None:
            raise
        _keep_key(claim, found.ticket)
        return Received(found, created=False)


def _keep_key(claim, ticket) -> None:
    """An idempotency key first seen on a 警情编号 sent before is kept with that ticket, so that the key used
    again for another body is refused like any reused key (422)."""
    try:
        with transaction.atomic():
            idempotency.record(claim, ticket)
    except idempotency.Repeated:  # the same key at the same moment: the other copy kept it
        pass


@transaction.atomic
def _receive(actor, event_number, reported_at, urgency, ticket_data, claim) -> PoliceTransfer:
    ticket = tickets.create_ticket(actor=actor, data=ticket_data, idempotency=claim)
    now = clock.now()
    # 回传 is owed by the 答复 limit of the channel's rule counted from now, fixed when 110 hands it over (a
    # later 延期 inside 12345 does not move 110's expectation).
    rule = sla.rule_for(ticket)
    result_due = sla.add_limit(sla.working_calendar(), now, rule.reply_limit, rule.reply_unit) if rule else None
    return PoliceTransfer.objects.create(
        ticket=ticket, direction=Direction.INBOUND, event_number=event_number, reported_at=reported_at,
        transferred_at=now, ack_due_at=now + timedelta(minutes=settings.JIESU_POLICE110_ACK_MINUTES),
        result_due_at=result_due)


def _acknowledge(link: PoliceTransfer, actor, now) -> None:
    link.acked_at, link.acked_by = now, actor
    PoliceTransfer.objects.filter(pk=link.pk).update(acked_at=now, acked_by=actor)
    _queue(link, "ack", {"acked_by": "12345热线", "on_time": now <= link.ack_due_at}, now)


# ---------------------------------------------------------------- 转出: what 110 sends back

KINDS = {"ack": "110签收", "result": "处警结果", "return": "110退回"}


def peer_message(actor, data: dict) -> tuple[PoliceTransfer, bool]:
    """110's system on a 警情 we handed it: `ack` (签收, with its 接警编号 as `receipt`), `result` (处警结果) or
    `return` (not a 警情: back to 12345). Taken once per message `id`; returns (transfer, new?)."""
    if not has_perm(actor, "police110.peer"):
        raise PermissionDenied("只有110联动系统的账号可以回传", code="action_forbidden")
    if not isinstance(data, dict):
        raise ValidationFailed({"body": "请求体须为JSON对象"})
    errors: dict[str, str] = {}
    message_id = _field(data, "id", "消息编号", errors, limit=100, required=True)
    kind = str(data.get("type") or "")
    if kind not in KINDS:
        errors["type"] = "消息类型须为 ack（签收）、result（处警结果）或 return（退回）"
    number = _field(data, "ticket", "12345工单编号", errors, limit=30, required=True)
    text = _field(data, "text", "说明", errors, limit=4000, required=kind in ("result", "return"))
    receipt = _field(data, "receipt", "接警编号", errors, limit=40)
    if errors:
        raise ValidationFailed(errors, message="110回传内容有误")
    seen = PoliceMessage.objects.filter(message_id=message_id).select_related("transfer__ticket").first()
    if seen is not None:
        return _repeat(seen, kind, number, text, receipt), False
    try:
        return _peer_message(actor, message_id, kind, number, text, receipt, data), True
    except IntegrityError:  # the same message at the same moment
        seen = PoliceMessage.objects.filter(message_id=message_id).select_related("transfer__ticket").first()
        if seen is None:
            raise
        return _repeat(seen, kind, number, text, receipt), False


def _repeat(seen: PoliceMessage, kind, number, text, receipt) -> PoliceTransfer:
    """A message id sent again is taken once — if it is the same message; another message under a used id is
    refused (a 110 that numbers two messages alike would otherwise lose the second without knowing)."""
    first = seen.payload or {}
    same = (seen.kind == kind and seen.transfer.ticket.number == number
            and str(first.get("text") or "").replace("\r\n", "\n").strip() == text
            and str(first.get("receipt") or "").strip() == receipt)
    if not same:
        raise MessageIdReused("该消息编号已用于另一条回传，请为新消息使用新的编号")
    return seen.transfer


@transaction.atomic
def _peer_message(actor, message_id, kind, number, text, receipt, data) -> PoliceTransfer:
    # what 110 holds: a 警情 we handed it, or one of its 转入 we sent back as a 警情 (110 may return that too)
    link = PoliceTransfer.objects.select_for_update().filter(
        Q(direction=Direction.OUTBOUND) | Q(returned_at__isnull=False), ticket__number=number,
    ).select_related("ticket").first()
    if link is None or not Ticket.objects.visible_to(actor).filter(pk=link.ticket_id).exists():
        raise NotFound("没有转往110的该工单", code="transfer_not_found")
    with transaction.atomic():
        PoliceMessage.objects.create(message_id=message_id, transfer=link, kind=kind, received_at=clock.now(),
                                     payload={k: v for k, v in data.items() if k != "id"})
    if kind == "return":
        tickets.perform(number, Action.POLICE_RETURN, actor=actor, reason=text)
    else:
        tickets.perform(number, Action.POLICE_FEEDBACK, actor=actor, kind=kind, receipt=receipt,
                        text=text or ("110已签收" + (f"，接警编号{receipt}" if receipt else "")))
    link.refresh_from_db()
    return link


# ---------------------------------------------------------------- the lifecycle seam

def before_move(ticket, action):
    """签收110转办 only for a 转入 not yet signed."""
    if action != Action.ACCEPT_110:
        return None
    link = PoliceTransfer.objects.filter(ticket=ticket).first()
    if link is None or link.direction != Direction.INBOUND:
        raise Conflict("该工单不是110转办的工单", code="not_police_transfer")
    if link.acked_at is not None:
        raise Conflict("该110转办已签收", code="police_already_accepted")
    return None


# What the centre does with a 转入 that tells 110 it has it (an attachment or a 督办 does not).
ANSWERS_110 = frozenset({Action.ACCEPT_110, Action.DISPATCH, Action.MERGE, Action.INVALIDATE, Action.INSTANT_CLOSE})
POLICE_ACTIONS = frozenset({Action.ACCEPT_110, Action.TRANSFER_110, Action.POLICE_FEEDBACK, Action.POLICE_RETURN})


def moved(ticket, transition, before, actor) -> None:
    """Keep the transfer's facts and tell 110, in the action's transaction."""
    action = transition.action
    if ticket.channel != TicketChannel.POLICE_110 and action not in POLICE_ACTIONS:
        return  # an ordinary ticket: no query
    link = PoliceTransfer.objects.filter(ticket=ticket).select_related("ticket").first()
    now = ticket.updated_at or clock.now()
    if action == Action.TRANSFER_110:
        _transferred(ticket, link, actor, now)
        return
    if link is None:
        return
    if link.direction == Direction.OUTBOUND:
        _answered_by_110(link, action, now)
        return
    if action == Action.POLICE_RETURN:  # 110 does not take back its 转入: it is the centre's again
        PoliceTransfer.objects.filter(pk=link.pk).update(returned_at=None, return_reason="")
        return
    if action == Action.POLICE_FEEDBACK:  # 110's word on a 转入 sent back: on the ticket's history only
        return
    if link.acked_at is None and action in ANSWERS_110:
        _acknowledge(link, actor, now)  # dispatching (or merging, closing, voiding) a transfer signs it too
    status = PROGRESS.get(action)
    if status is None:
        return
    facts = {"status": status, "status_label": PROGRESS_LABEL[status],
             "unit": ticket.department.name if ticket.department_id else ""}
    if status == "replied":
        facts["text"] = ticket.reply_text
        if link.result_at is None:
            link.result_at, link.result_text = now, ticket.reply_text
            PoliceTransfer.objects.filter(pk=link.pk).update(result_at=now, result_text=ticket.reply_text)
    _queue(link, "status", facts, now)


def _reason(ticket) -> str:
    event = ticket.events.filter(action=Action.TRANSFER_110).order_by("-pk").first()
    return event.note if event else ""


def _transferred(ticket, link, actor, now) -> None:
    reason = _reason(ticket)
    if link is not None and link.direction == Direction.INBOUND:  # a 转入 that is a 警情: back to 110
        link.returned_at, link.return_reason = now, reason[:500]
        update = {"returned_at": now, "return_reason": reason[:500]}
        if link.acked_at is None:
            update.update(acked_at=now, acked_by=actor)
        PoliceTransfer.objects.filter(pk=link.pk).update(**update)
        _queue(link, "return", {"reason": reason}, now)
        return
    due = now + timedelta(minutes=settings.JIESU_POLICE110_ACK_MINUTES)
    if link is None:
        link = PoliceTransfer.objects.create(ticket=ticket, direction=Direction.OUTBOUND, transferred_at=now,
                                             ack_due_at=due)
    else:  # 110 sent it back once; the centre sends it again: a new transfer on the same ticket
        PoliceTransfer.objects.filter(pk=link.pk).update(
            transferred_at=now, ack_due_at=due, acked_at=None, result_at=None, result_text="", returned_at=None,
            return_reason="", event_number="")  # 110 gives the new transfer its own 接警编号
    _queue(link, "transfer", {
        "reason": reason, "urgency": ticket.urgency, "title": ticket.title, "content": ticket.content,
        "caller_name": ticket.caller_name, "caller_phone": ticket.caller_phone, "address": ticket.address,
        "region": ticket.region.name if ticket.region_id else "", "called_at": ticket.created_at.isoformat()}, now)


def _answered_by_110(link, action, now) -> None:
    event = link.ticket.events.filter(action=action).order_by("-pk").first()
    kind = (event.data or {}).get("kind") if event else None
    if action == Action.POLICE_RETURN:  # an answer too: it counts as 110's 签收 if it was not signed
        update = {"returned_at": now, "return_reason": (event.note if event else "")[:500]}
        if link.acked_at is None:
            update["acked_at"] = now
        PoliceTransfer.objects.filter(pk=link.pk).update(**update)
    elif action == Action.POLICE_FEEDBACK and kind == "ack":
        receipt = (event.data or {}).get("receipt", "")
        update = {"acked_at": now} if link.acked_at is None else {}
        if receipt and not link.event_number:
            update["event_number"] = receipt
        if update:
            PoliceTransfer.objects.filter(pk=link.pk).update(**update)
    elif action == Action.POLICE_FEEDBACK and kind == "result":
        update = {"result_at": now, "result_text": event.note}
        if link.acked_at is None:
            update["acked_at"] = now  # a result says it was taken
        PoliceTransfer.objects.filter(pk=link.pk).update(**update)


# ---------------------------------------------------------------- the page's lists and figures

def visible(user):
    if not has_perm(user, "police110.view"):
        raise PermissionDenied("您无权查看110联动", code="action_forbidden")
    return PoliceTransfer.objects.filter(ticket__in=Ticket.objects.visible_to(user))


def get(user, number: str) -> PoliceTransfer:
    access.access_ticket(user, number)
    link = PoliceTransfer.objects.filter(ticket__number=number).select_related("ticket").first()
    if link is None:
        raise NotFound("该工单没有110联动记录", code="transfer_not_found")
    return link


@dataclass
class Figures:
    direction: str
    label: str
    transfers: int = 0
    acked: int = 0  # 签收 (or answered by 退回)
    ack_counted: int = 0  # 签收 or past the 签收 time
    ack_on_time: int = 0
    returned: int = 0
    results: int = 0  # 转入: 回传 of the 答复; 转出: 110's 处警结果
    result_counted: int = 0
    result_on_time: int = 0

    @property
    def ack_rate(self) -> float | None:
        return self.ack_on_time / self.ack_counted if self.ack_counted else None

    @property
    def result_rate(self) -> float | None:
        return self.result_on_time / self.result_counted if self.result_counted else None


def statistics(links, now: datetime | None = None) -> list[Figures]:
    """Each way: transfers, 签收 (按时签收率: in JIESU_POLICE110_ACK_MINUTES, of those signed or past that time),
    退回, and the results — 按时回传率 for 转入 (the 答复 sent back by its 回传 deadline — the channel rule's 答复
    limit from the transfer —, of those sent or past it; a 转入 sent back to 110 as a 警情 has no result to send); 转出 count 110's 处警结果."""
    now = now or clock.now()
    out = {d: Figures(d, label) for d, label in Direction.choices}
    rows = links.values_list("direction", "ack_due_at", "acked_at", "returned_at", "result_at", "result_due_at",
                             "ticket__state")
    for direction, ack_due, acked, returned, result, due, state in rows:
        f = out[direction]
        f.transfers += 1
        f.returned += returned is not None
        if acked is not None or now > ack_due:
            f.ack_counted += 1
            f.acked += acked is not None
            f.ack_on_time += acked is not None and acked <= ack_due
        if result is not None:
            f.results += 1
        if direction != Direction.INBOUND or returned is not None or state == State.INVALID:
            continue
        if result is not None or (due is not None and now > due):
            f.result_counted += 1
            f.result_on_time += result is not None and (due is None or result <= due)
    return list(out.values())


def period_links(user, first, last, direction: str = ""):
    start, end = clock.day_range(first, last)
    links = visible(user).filter(transferred_at__gte=start, transferred_at__lt=end)
    if direction in Direction.values:
        links = links.filter(direction=direction)
    return links


MESSAGE_LABEL = {"police_transfer": "转110", "police_ack": "签收", "police_return": "退回110"}


def message_label(d: Delivery) -> str:
    """What a message to 110 said, in words: 签收, 转110, 退回110, or the step (已派单, 已答复…)."""
    return MESSAGE_LABEL.get(d.template) or d.data.get("status_label", "")


def last_messages(links) -> dict[int, Delivery]:
    """The newest message to 110 of each ticket (sent, waiting or failed)."""
    ids = [link.ticket_id for link in links]
    latest: dict[int, Delivery] = {}
    for d in Delivery.objects.filter(channel=Channel.PEER, to=PEER, ticket_id__in=ids).order_by("pk"):
        latest[d.ticket_id] = d
    return latest


def waiting_q() -> Q:
    """转入 the centre has not signed yet (the 派单员's worklist)."""
    return Q(pk__in=PoliceTransfer.objects.filter(direction=Direction.INBOUND, acked_at__isnull=True)
             .values("ticket_id"))


def new_message_id() -> str:
    return uuid.uuid4().hex
