"""Who is told what: the notifications app's observer on the ticket lifecycle (tickets/lifecycle.py, order 50).

    派单, 智能派单               → handlers of the receiving unit (and of each 协办 unit it names)
    增加协办                     → handlers of each new 协办 unit
    协办反馈                     → handlers of the lead unit
    撤回                         → handlers of the unit it was taken from
    下派                         → handlers of the sub-unit
    退单 (a request: 退单审核)    → dispatchers
    同意/驳回退单                → the handler who asked
    提交答复审核                 → those who review answers (dispatchers, supervisors)
    答复审核通过/退回            → the handler who submitted it (and, once through, the caller by SMS)
    申请延期                     → those who decide extensions (dispatchers, supervisors)
    批准/驳回延期                → the handler who asked
    重办, 督办                   → handlers of the unit that holds the ticket
    并单                         → handlers of the unit handling the 母单 (the 子单 is now theirs too)
    回访不满意                   → supervisors (they decide on 重办)
    临期提醒, 超期, 催办 (sweep) → handlers of the unit; for the 回访 clock, the operator who registered it
    升级督办 (sweep)             → handlers of the unit, leaders of the unit and the units above it, supervisors
    (a 信访事项: the centre's part of each of these goes to the 信访办 instead — no one else sees it)
    答复 (and each 子单's)        → the caller, by SMS
    登记                         → the caller's 受理回执, by SMS

The person who acted is never told of their own action. tests/test_matrix.py checks each row against every user
of a small organisation.
"""

from typing import NamedTuple

from django.db.models import Q
from django.utils import timezone

from jiesu.core import inserts
from jiesu.directory.models import Role
from jiesu.directory.permissions import department_of
from jiesu.directory.snapshot import directory
from jiesu.tickets.lifecycle import Alert, Observer
from jiesu.tickets.models import (
    Channel,
    ExtensionRequest,
    ReplyResult,
    ReplyReview,
    ReturnReason,
    ReturnRequest,
    Satisfaction,
    Ticket,
    Urgency,
)
from jiesu.tickets.workflow import Action

from .models import Event
from .services import Notice, caller_sms, notify, recipients, role_q


def _due(value) -> str:
    return timezone.localtime(value).strftime("%m月%d日 %H:%M") if value else "规定时限"


def _facts(ticket, department=None) -> dict:
    d = directory()
    category = d.categories.get(ticket.category_id)
    department = department or d.departments.get(ticket.department_id)
    return {"number": ticket.number, "category": category.name if category else "未分类",
            "department": department.name if department else "承办单位"}


def _upward(department_id) -> list[int]:
    """The unit and the units above it."""
    d, out = directory(), []
    while department_id is not None and department_id not in out:
        out.append(department_id)
        unit = d.departments.get(department_id)
        department_id = unit.parent_id if unit else None
    return out


def _notice(event, ticket, staff_q, actor, **data) -> Notice:
    note = data.pop("note", "")
    return Notice(event=event, ticket_id=ticket.pk, number=ticket.number, data={**_facts(ticket), **data}, note=note,
                  urgent=ticket.urgency == Urgency.CRITICAL,
                  recipients=recipients(event, staff_q, exclude=getattr(actor, "pk", None)))


def _centre(ticket, *roles):
    """The centre's people for a decision on this ticket: for a 信访事项 the 信访办 (the only centre that sees it),
    for any other ticket those of `roles`."""
    if ticket.channel == Channel.PETITION:
        return role_q(Role.PETITION)
    found = role_q(roles[0])
    for role in roles[1:]:
        found |= role_q(role)
    return found


def _handlers(ticket):
    return role_q(Role.HANDLER, [ticket.department_id]) if ticket.department_id else None


def created(ticket, prepared, actor):
    if getattr(ticket, "answered_at_intake", False):  # answered on the phone: nothing to follow
        return None
    receipt = caller_sms(ticket, "receipt", {"query_code": ticket.query_code}, urgent=True)
    if receipt is not None:  # the caller has just called: the receipt is not held for the quiet hours
        inserts.insert_many([receipt])
    return None


def moved(ticket, transition, before, actor) -> None:
    action = transition.action
    notices, messages = [], []
    if action == Action.WITHDRAW:  # the unit it was taken from (the history entry names it)
        last_event = _last_event(ticket, action)
        if last_event is not None and last_event.department_id:
            unit = directory().departments.get(last_event.department_id)
            notices.append(_notice(Event.WITHDRAW, ticket, role_q(Role.HANDLER, [last_event.department_id]), actor,
                                   department=unit.name if unit else "承办单位", note=last_event.note))
    if action in (Action.DISPATCH, Action.SUBDISPATCH, Action.REDO, Action.SUPERVISE):
        event = {Action.DISPATCH: Event.DISPATCH, Action.SUBDISPATCH: Event.SUBDISPATCH, Action.REDO: Event.REDO,
                 Action.SUPERVISE: Event.SUPERVISE}[action]
        due = ticket.sign_due_at if action in (Action.DISPATCH, Action.SUBDISPATCH) else ticket.reply_due_at
        last_event = _last_event(ticket, action) if action in (Action.REDO, Action.SUPERVISE) else None
        if ticket.department_id:
            notices.append(_notice(event, ticket, _handlers(ticket), actor, due=_due(due),
                                   note=last_event.note if last_event else ""))
    if action in (Action.DISPATCH, Action.ADD_ASSIST):
        units = getattr(ticket, "new_assists", None) or []  # set by the action on this very object
        if units:
            lead = directory().departments.get(ticket.department_id)
            notices.append(_notice(Event.ASSIST, ticket, role_q(Role.HANDLER, [u.pk for u in units]), actor,
                                   department=lead.name if lead else "主办单位",
                                   due=_due(ticket.assists.filter(department_id=units[0].pk)
                                            .values_list("due_at", flat=True).first())))
    if action == Action.SUBMIT_ASSIST and ticket.department_id:
        unit = department_of(actor)
        notices.append(_notice(Event.ASSIST_DONE, ticket, _handlers(ticket), actor,
                               department=unit.name if unit else "协办单位"))
    if action == Action.RETURN:
        request = ticket.return_requests.filter(status=ReturnRequest.Status.PENDING).first()
        unit = directory().departments.get(request.department_id) if request else None
        notices.append(_notice(Event.RETURN, ticket, _centre(ticket, Role.DISPATCHER), actor,
                               department=unit.name if unit else "承办单位",
                               reason=ReturnReason(request.reason_category).label if request else "",
                               note=request.reason if request else ""))
    elif action in (Action.APPROVE_RETURN, Action.REJECT_RETURN):
        request = (ticket.return_requests.filter(status__in=[ReturnRequest.Status.APPROVED,
                                                             ReturnRequest.Status.REJECTED])
                   .order_by("-decided_at", "-id").first())
        if request is not None:
            decision = "已同意，工单将另行派单" if action == Action.APPROVE_RETURN else "未获同意，请继续办理"
            notices.append(_notice(Event.RETURN_DECIDED, ticket, Q(user_id=request.requested_by_id), actor,
                                   decision=decision, note=request.decision_note))
    elif action == Action.SUBMIT_REPLY:
        unit = directory().departments.get(ticket.department_id)
        notices.append(_notice(Event.REPLY_REVIEW, ticket, _centre(ticket, Role.DISPATCHER, Role.SUPERVISOR), actor,
                               department=unit.name if unit else "承办单位"))
    elif action == Action.REJECT_REPLY:
        review = ticket.reply_reviews.filter(status=ReplyReview.Status.REJECTED).order_by("-decided_at", "-id").first()
        if review is not None:
            notices.append(_notice(Event.REPLY_REVIEWED, ticket, Q(user_id=review.submitted_by_id), actor,
                                   decision="被退回，请修改后重新提交", note=review.decision_note))
    elif action == Action.REQUEST_EXTENSION:
        request = ticket.extensions.filter(status=ExtensionRequest.Status.PENDING).first()
        notices.append(_notice(Event.EXTENSION_REQUEST, ticket, _centre(ticket, Role.DISPATCHER, Role.SUPERVISOR),
                               actor, due=_due(request.requested_due_at if request else None),
                               note=request.reason if request else ""))
    elif action in (Action.APPROVE_EXTENSION, Action.REJECT_EXTENSION):
        request = (ticket.extensions.filter(status__in=[ExtensionRequest.Status.APPROVED,
                                                        ExtensionRequest.Status.REJECTED])
                   .order_by("-decided_at", "-id").first())
        if request is not None:
            decision = (f"已批准，答复期限延至{_due(request.requested_due_at)}" if action == Action.APPROVE_EXTENSION
                        else "未获批准，请按原期限答复")
            notices.append(_notice(Event.EXTENSION_DECIDED, ticket, Q(user_id=request.requested_by_id), actor,
                                   decision=decision, note=request.decision_note))
    elif action == Action.MERGE:  # the 子单 now follows its 母单: the unit handling the 母单 answers for it too
        parent = Ticket.objects.filter(pk=ticket.merged_into_id).values("number", "department_id").first()
        if parent and parent["department_id"]:
            notices.append(_notice(Event.MERGE, ticket, role_q(Role.HANDLER, [parent["department_id"]]), actor,
                                   parent=parent["number"]))
    elif action in (Action.CALLBACK, Action.EVALUATE) and ticket.satisfaction == Satisfaction.UNSATISFIED:
        notices.append(_notice(Event.UNSATISFIED, ticket, _centre(ticket, Role.SUPERVISOR), actor))
    elif action in (Action.REPLY, Action.FOLLOW_REPLY, Action.APPROVE_REPLY):
        if action == Action.APPROVE_REPLY:
            review = (ticket.reply_reviews.filter(status=ReplyReview.Status.APPROVED)
                      .order_by("-decided_at", "-id").first())
            if review is not None:
                notices.append(_notice(Event.REPLY_REVIEWED, ticket, Q(user_id=review.submitted_by_id), actor,
                                       decision="已通过，转入回访", note=review.decision_note))
        gist = ReplyResult(ticket.reply_result).label if ticket.reply_result else "已答复"
        text = " ".join(ticket.reply_text.split())
        if text:
            gist += "，" + (text if len(text) <= 60 else text[:58] + "…")
        department = directory().departments.get(ticket.department_id)
        message = caller_sms(ticket, "reply_notice", {"gist": gist,
                                                      "department": department.name if department else "承办单位"})
        if message is not None:
            messages.append(message)
    notify([n for n in notices if n.recipients])
    if messages:
        inserts.insert_many(messages)


def _last_event(ticket, action):
    return ticket.events.filter(action=action).order_by("-id").first()


ALERT_EVENTS = {"sla_warning": Event.SLA_WARNING, "sla_overdue": Event.SLA_OVERDUE, "urge": Event.URGE,
                "escalate": Event.ESCALATE}


class _AlertedTicket(NamedTuple):
    pk: int
    number: str
    category_id: int | None
    department_id: int | None
    urgency: str
    created_by_id: int | None
    channel: str


def _alerted_tickets(ids: list[int]) -> dict:
    """What the notices need of each ticket, as plain rows (a first sweep over a backlog reads tens of thousands)."""
    return {row[0]: _AlertedTicket(*row) for row in Ticket.objects.filter(pk__in=ids).values_list(
        "pk", "number", "category_id", "department_id", "urgency", "created_by_id", "channel").iterator(
        chunk_size=5000)}


def alerted(kind: str, alerts: list[Alert], now) -> None:
    """The sweep's 临期/超期/催办/升级督办: a few queries for a whole batch (the tickets, then the people of all
    their units)."""
    from jiesu.sla.models import Clock

    event = ALERT_EVENTS[kind]
    callback = any(a.clock == Clock.CALLBACK for a in alerts)
    tickets = _alerted_tickets([a.ticket_id for a in alerts]) if callback else None
    units = {a.department_id for a in alerts if a.department_id and a.clock != Clock.CALLBACK}
    staff_q = role_q(Role.HANDLER, units)
    creators = {t.created_by_id for t in tickets.values() if t.created_by_id} if tickets else set()
    if callback and creators:
        staff_q |= Q(user_id__in=creators) & role_q(Role.OPERATOR)
    if event == Event.ESCALATE:
        upward = {u for a in alerts for u in _upward(a.department_id)}
        staff_q |= role_q(Role.LEADER, upward) | role_q(Role.SUPERVISOR) | role_q(Role.PETITION)
    people = recipients(event, staff_q)
    if not people:  # nobody to tell (e.g. units without staff on the system): the tickets need not be read
        return
    if tickets is None:
        tickets = _alerted_tickets([a.ticket_id for a in alerts])
    roles = _roles_by_user([p.user_id for p in people])
    notices = []
    for a in alerts:
        ticket = tickets.get(a.ticket_id)
        if ticket is None:
            continue
        told = []
        for p in people:
            unit, held = roles[p.user_id]
            if a.clock == Clock.CALLBACK:
                wanted = p.user_id == ticket.created_by_id and Role.OPERATOR in held
            else:
                wanted = Role.HANDLER in held and unit == a.department_id
            if event == Event.ESCALATE and ticket.channel == Channel.PETITION:  # seen only by its handlers
                wanted = wanted or Role.PETITION in held
            elif event == Event.ESCALATE:
                wanted = wanted or Role.SUPERVISOR in held or (Role.LEADER in held
                                                              and unit in _upward(a.department_id))
            if wanted:
                told.append(p)
        if told:
            notices.append(Notice(event=event, ticket_id=ticket.pk, number=ticket.number,
                                  data={**_facts(ticket), "clock": Clock(a.clock).label, "due": _due(a.due_at)},
                                  urgent=ticket.urgency == Urgency.CRITICAL, recipients=told))
    notify(notices, now)


def _roles_by_user(user_ids) -> dict[int, tuple[int, set]]:
    from jiesu.directory.models import StaffRole

    out: dict[int, tuple[int, set]] = {}
    for user_id, department_id, role in StaffRole.objects.filter(staff__user_id__in=user_ids).values_list(
            "staff__user_id", "staff__department_id", "role"):
        out.setdefault(user_id, (department_id, set()))[1].add(role)
    return out


OBSERVER = Observer(name="notifications", order=50, created=created, moved=moved, alerted=alerted)
