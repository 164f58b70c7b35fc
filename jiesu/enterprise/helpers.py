"""帮办代办: the centre assigns a 帮办员 to an enterprise (all its 政企直通车 requests) or to one of its matters; the
帮办员 follows them through every unit (tickets.access.helped decides what they see), is told of their progress
(the lifecycle observer below), logs visits and calls (走访记录), and keeps the enterprise's 帮办台账: what was
asked, who handled it, how it ended. The enterprise sees who its 帮办员 is."""

from dataclasses import dataclass, field
from datetime import datetime

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import Count, Exists, OuterRef, Q

from jiesu.core import clock
from jiesu.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from jiesu.core.validators import parse_day
from jiesu.directory.permissions import has_perm
from jiesu.directory.snapshot import directory
from jiesu.tickets import access
from jiesu.tickets.models import Channel, Ticket
from jiesu.tickets.workflow import Action, State

from .models import Enterprise, HelperAssignment, Visit
from .services import clean_code, contact_out


def _enterprise(credit_code: str) -> Enterprise:
    try:
        code = clean_code(credit_code)
    except ValidationFailed:
        code = None  # a mistyped code finds no enterprise, like an unknown one
    enterprise = Enterprise.objects.select_related("region").filter(credit_code=code).first() if code else None
    if enterprise is None:
        raise NotFound("企业库中没有该统一社会信用代码的企业", code="enterprise_not_found")
    return enterprise


def _active(**where):
    return HelperAssignment.objects.filter(ended_at__isnull=True, **where)


def helps_enterprise(user, enterprise: Enterprise) -> bool:
    return has_perm(user, "enterprise.help") and _active(helper=user, enterprise=enterprise).exists()


@transaction.atomic
def assign(actor, credit_code: str, helper: str, number: str = "") -> HelperAssignment:
    """指派帮办员 (督办员, 管理员): `helper` is a 帮办员's username; `number` a matter of this enterprise, or empty
    for all its requests. The same assignment twice is a 409."""
    if not has_perm(actor, "enterprise.assign_helper"):
        raise PermissionDenied("您无权指派帮办员", code="enterprise_forbidden")
    enterprise = _enterprise(credit_code)
    user = get_user_model().objects.filter(username=(helper or "").strip(), is_active=True).first()
    if user is None or not has_perm(user, "enterprise.help"):
        raise ValidationFailed({"helper": "请选择一名帮办员"})
    ticket = None
    if (number or "").strip():
        ticket = Ticket.objects.filter(number=number.strip(), credit_code=enterprise.credit_code).first()
        if ticket is None:
            raise ValidationFailed({"number": "该企业没有这个编号的工单"})
    try:
        with transaction.atomic():
            return HelperAssignment.objects.create(enterprise=enterprise, helper=user, ticket=ticket,
                                                   assigned_by=actor, assigned_at=clock.now())
    except IntegrityError:
        raise Conflict("该帮办员已在帮办这家企业（或这件事项）", code="helper_already_assigned") from None


def end(actor, assignment_id: int) -> HelperAssignment:
    """结束帮办: the 帮办员 no longer sees the enterprise's requests (their visits stay in the ledger)."""
    if not has_perm(actor, "enterprise.assign_helper"):
        raise PermissionDenied("您无权调整帮办员", code="enterprise_forbidden")
    done = _active(pk=assignment_id).update(ended_at=clock.now())
    if not done:
        raise Conflict("该帮办关系已结束", code="helper_already_ended")
    return HelperAssignment.objects.select_related("enterprise").get(pk=assignment_id)


def log_visit(actor, credit_code: str, data: dict) -> Visit:
    """走访记录 by one of the enterprise's 帮办员: the day (not in the future), the form, what was found."""
    enterprise = _enterprise(credit_code)
    if not helps_enterprise(actor, enterprise):
        raise PermissionDenied("只有该企业的帮办员可以记录走访", code="enterprise_forbidden")
    errors = {}
    day = parse_day((data.get("visited_on") or "").strip())
    if day is None:
        errors["visited_on"] = "请填写走访日期（YYYY-MM-DD）"
    elif day > clock.today():
        errors["visited_on"] = "走访日期不能晚于今天"
    form = (data.get("form") or "").strip()
    if form not in Visit.Form.values:
        errors["form"] = "请选择走访方式"
    note = (data.get("note") or "").strip()
    if not note:
        errors["note"] = "请填写情况记录"
    elif len(note) > 2000:
        errors["note"] = "情况记录不超过2000字"
    ticket = None
    number = (data.get("number") or "").strip()
    if number:
        ticket = Ticket.objects.filter(access.helped(actor), number=number,
                                       credit_code=enterprise.credit_code).first()
        if ticket is None:
            errors["number"] = "该企业没有您帮办的这个编号的工单"
    if errors:
        raise ValidationFailed(errors)
    return Visit.objects.create(enterprise=enterprise, helper=actor, ticket=ticket, visited_on=day, form=form,
                                note=note, created_at=clock.now())


# ---------------------------------------------------------------- what people read


@dataclass
class Matter:
    number: str
    created_at: datetime
    category: str
    title: str
    unit: str
    state: str
    outcome: str  # how it ended: the answer's result and the 回访/评价
    open: bool
    overdue: bool


@dataclass
class Ledger:
    enterprise: Enterprise
    contacts: list[dict]
    helpers: list[HelperAssignment]
    matters: list[Matter] = field(default_factory=list)
    visits: list[Visit] = field(default_factory=list)
    can_assign: bool = False
    can_visit: bool = False


def ledger(user, credit_code: str) -> Ledger:
    """帮办台账: the enterprise, its 帮办员, every request it filed (and every matter assigned to a 帮办员) with the
    unit that handled it and how it ended, and the visits. For the centre and the enterprise's own 帮办员."""
    enterprise = _enterprise(credit_code)
    mine = helps_enterprise(user, enterprise)
    if not (mine or has_perm(user, "enterprise.view_ledgers")):
        raise NotFound("企业库中没有该统一社会信用代码的企业", code="enterprise_not_found")
    helpers = list(_active(enterprise=enterprise).select_related("helper", "helper__staff__department", "ticket")
                   .order_by("assigned_at"))
    matter_ids = _active(enterprise=enterprise, ticket__isnull=False).values("ticket_id")
    # What this reader may open of them (the centre: all; a 帮办员 of one matter: that matter).
    rows = Ticket.objects.visible_to(user).filter(access.enterprise_requests_q([enterprise.credit_code])
                                                  | Q(pk__in=matter_ids))
    d, now = directory(), clock.now()
    out = Ledger(enterprise=enterprise, contacts=[contact_out(user, c, helper=mine) for c in enterprise.contacts.all()],
                 helpers=helpers, can_assign=has_perm(user, "enterprise.assign_helper"), can_visit=mine)
    for t in rows.order_by("-created_at")[:200]:
        t = access.shown(user, t)
        category, unit = d.categories.get(t.category_id), d.departments.get(t.department_id)
        outcome = []
        if t.reply_result:
            outcome.append(t.get_reply_result_display())
        if t.satisfaction:
            outcome.append(f"评价：{t.get_satisfaction_display()}")
        is_open = t.state not in (State.CLOSED, State.INVALID, State.MERGED)
        due = t.reply_due_at if t.state in (State.PENDING_SIGN, State.IN_PROGRESS) else None
        out.matters.append(Matter(t.number, t.created_at, category.name if category else "未分类", t.title,
                                  unit.name if unit else "—", t.get_state_display(), "，".join(outcome) or "—",
                                  is_open, bool(due and due < now)))
    out.visits = list(enterprise.visits.select_related("helper", "ticket")[:100])
    return out


def helping(user, query: str = "") -> list[tuple[Enterprise, int, list[str]]]:
    """企业帮办 index: a 帮办员's enterprises; for the centre, enterprises with a 帮办员 (or found by name/code).
    Each with its open 政企直通车 requests and its 帮办员's names."""
    enterprises = Enterprise.objects.all()
    if has_perm(user, "enterprise.view_ledgers"):
        query = (query or "").strip()[:50]
        enterprises = (enterprises.filter(Q(name__contains=query) | Q(credit_code=query.upper())) if query
                       else enterprises.filter(Exists(_active(enterprise=OuterRef("pk")))))
    elif has_perm(user, "enterprise.help"):
        enterprises = enterprises.filter(helpers__helper=user, helpers__ended_at__isnull=True)
    else:
        raise PermissionDenied("您无权查看企业帮办", code="enterprise_forbidden")
    found = list(enterprises.distinct().order_by("name")[:100])
    codes = [e.credit_code for e in found]
    open_counts = dict(Ticket.objects.filter(access.enterprise_requests_q(codes))
                       .exclude(state__in=[State.CLOSED, State.INVALID, State.MERGED])
                       .values_list("credit_code").annotate(n=Count("pk")))
    names: dict[int, list[str]] = {}
    for a in _active(enterprise__in=found).select_related("helper").order_by("assigned_at"):
        names.setdefault(a.enterprise_id, []).append(a.helper.get_full_name() or a.helper.username)
    return [(e, open_counts.get(e.credit_code, 0), names.get(e.pk, [])) for e in found]


def helper_choices() -> list:
    """The active 帮办员 accounts, for the assignment form."""
    from jiesu.directory.models import Role

    return list(get_user_model().objects.filter(is_active=True, staff__roles__role=Role.HELPER)
                .select_related("staff__department").order_by("username").distinct())


def helpers_shown_to_enterprise(enterprise: Enterprise) -> list[dict]:
    """Who the enterprise's 帮办员 are, as the enterprise sees them: name, unit and work phone."""
    rows = (_active(enterprise=enterprise, ticket__isnull=True).select_related("helper__staff__department")
            .order_by("assigned_at"))
    out = []
    for a in rows:
        staff = getattr(a.helper, "staff", None)
        out.append({"name": a.helper.get_full_name() or a.helper.username,
                    "unit": staff.department.name if staff else "", "phone": staff.phone if staff else ""})
    return out


# ---------------------------------------------------------------- the lifecycle observer (registered in apps.py)

PROGRESS = {
    Action.DISPATCH: "已派至{department}办理", Action.SIGN: "已由{department}签收",
    Action.RETURN: "被{department}申请退单", Action.APPROVE_RETURN: "已退单，等待重新派单",
    Action.APPROVE_EXTENSION: "已批准延期", Action.REPLY: "已由{department}答复",
    Action.APPROVE_REPLY: "已由{department}答复", Action.FOLLOW_REPLY: "已随母单答复",
    Action.CALLBACK: "已回访办结", Action.EVALUATE: "企业已评价，办结", Action.REDO: "回访不满意，已要求重办",
    Action.SUPERVISE: "已被督办", Action.INVALIDATE: "已作废",
}
ALERTS = {"sla_overdue": "已超期", "escalate": "超期已久，已升级督办"}


def _helpers_of(rows) -> dict[int, set[int]]:
    """ticket id → the user ids of its active 帮办员 (for rows with id, credit_code and channel)."""
    rows = [r for r in rows if r["credit_code"]]
    if not rows:
        return {}
    codes = {r["credit_code"] for r in rows if r["channel"] == Channel.ENTERPRISE}
    ids = {r["id"] for r in rows}
    found: dict[int, set[int]] = {}
    by_code: dict[str, set[int]] = {}
    for helper, code, ticket_id in (_active().filter(Q(ticket_id__in=ids) | Q(ticket__isnull=True,
                                                                               enterprise__credit_code__in=codes))
                                    .values_list("helper_id", "enterprise__credit_code", "ticket_id")):
        if ticket_id:
            found.setdefault(ticket_id, set()).add(helper)
        else:
            by_code.setdefault(code, set()).add(helper)
    for r in rows:
        if r["channel"] == Channel.ENTERPRISE and r["credit_code"] in by_code:
            found.setdefault(r["id"], set()).update(by_code[r["credit_code"]])
    return found


def _tell(rows: list[dict], progress: dict[int, str], actor_id=None, now=None) -> None:
    from jiesu.notifications.models import Event
    from jiesu.notifications.services import Notice, notify, recipients

    helpers = _helpers_of(rows)
    if not helpers:
        return
    d = directory()
    notices = []
    for r in rows:
        if r["id"] not in helpers:
            continue
        category = d.categories.get(r["category_id"])
        department = d.departments.get(r["department_id"])
        text = progress[r["id"]].format(department=department.name if department else "承办单位")
        notices.append(Notice(event=Event.HELPED_MATTER, ticket_id=r["id"], number=r["number"], data={
            "number": r["number"], "category": category.name if category else "未分类",
            "department": department.name if department else "承办单位",
            "enterprise": r["enterprise_name"] or r["credit_code"], "progress": text},
            recipients=recipients(Event.HELPED_MATTER, Q(user_id__in=helpers[r["id"]]), exclude=actor_id)))
    notify(notices, now)


_FIELDS = ("id", "number", "credit_code", "channel", "category_id", "department_id", "enterprise_name")


def moved(ticket, transition, before, actor) -> None:
    text = PROGRESS.get(transition.action)
    if text is None or not ticket.credit_code:  # most tickets name no enterprise: no query at all
        return
    row = {name: getattr(ticket, name) for name in _FIELDS}
    _tell([row], {ticket.pk: text}, getattr(actor, "pk", None))


def alerted(kind: str, alerts, now) -> None:
    text = ALERTS.get(kind)
    if text is None:
        return
    rows = list(Ticket.objects.filter(pk__in=[a.ticket_id for a in alerts]).exclude(credit_code="")
                .values(*_FIELDS))
    if rows:
        _tell(rows, {r["id"]: text for r in rows}, now=now)


