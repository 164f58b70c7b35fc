"""我的待办: each role's worklists, counted in one query and listed through 工单查询 (`?todo=<code>`), so a count and
the list behind its link are the same condition by construction.

A worklist is a condition on tickets (a Q) for the roles it serves; counts and lists run inside the reader's
visibility (tickets.access), and a unit's lists are its own tickets (what it can sign and answer). The supervisor's
超期 by unit is one grouped query; the leader's units below target come from the KPI rollup.
"""

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import connection
from django.db.models import Case, Count, Exists, IntegerField, OuterRef, Q, Value, When

from jiesu.core import clock
from jiesu.core.errors import ValidationFailed
from jiesu.directory.models import Role
from jiesu.directory.permissions import department_of, roles_of
from jiesu.sla.services import Status
from jiesu.sla.services import status_q as sla_status_q

from .workflow import MERGEABLE_STATES, State

SPLITS = (Status.NORMAL, Status.WARNING, Status.OVERDUE)


@dataclass(frozen=True)
class Worklist:
    code: str
    label: str
    role: str
    help: str = ""
    split: bool = False  # counted and listed 正常 / 临期 / 超期 too
    own_unit: bool = False  # the reader's own unit's tickets
    badge: bool = True  # counts toward the menu's 我的待办 badge


R = Role
WORKLISTS: list[Worklist] = [
    Worklist("callback", "待回访", R.OPERATOR, "承办单位已答复，等待回访来电人", split=True),
    Worklist("unsatisfied", "回访不满意待处理", R.OPERATOR, "近期回访不满意、尚未重办的工单", badge=False),
    Worklist("police_accept", "110转办待签收", R.DISPATCHER, "110转来的非警务诉求，须在规定分钟内签收（或派单）"),
    Worklist("dispatch", "待派单", R.DISPATCHER, "已登记、等待派往承办单位"),
    Worklist("return_review", "退单待审核", R.DISPATCHER, "承办单位申请退单，等待审核（同意或驳回）"),
    Worklist("returned", "退单待重派", R.DISPATCHER, "退单已同意或已撤回，等待重新派单"),
    Worklist("reply_review", "答复待审核", R.DISPATCHER, "按答复审核规则，承办单位的答复等待审核后转回访"),
    Worklist("extension", "延期待审批", R.DISPATCHER, "承办单位申请延期，等待审批"),
    Worklist("duplicate", "疑似重复待并单", R.DISPATCHER, "待派单中与在办工单疑似重复，可并单", badge=False),
    Worklist("sign", "待签收", R.HANDLER, "已派至本单位，等待签收", split=True, own_unit=True),
    Worklist("contact", "办理中（待联系诉求人）", R.HANDLER, "已签收，尚未联系诉求人", split=True, own_unit=True),
    Worklist("reply", "待答复（已联系）", R.HANDLER, "已联系诉求人，等待答复", split=True, own_unit=True),
    Worklist("supervised", "被催办/督办", R.HANDLER, "本单位在办工单中被催办或督办的", own_unit=True),
    Worklist("assist", "协办待反馈", R.HANDLER, "其他单位主办、本单位协办，尚未向主办单位反馈", own_unit=True),
    Worklist("awaiting", "待中心审核", R.HANDLER, "本单位的退单申请或答复正在等待热线中心审核", own_unit=True,
             badge=False),
    Worklist("escalated", "升级督办", R.SUPERVISOR, "超期已久、升级到督办员的在办工单"),
    Worklist("redo_decision", "不满意待重办研判", R.SUPERVISOR, "近期回访不满意、尚未重办的工单", badge=False),
    # The liaison office sees 建议/提案 only (tickets.access), so these are proposals.
    Worklist("proposal_dispatch", "建议提案待交办", R.LIAISON, "已登记、尚未交办主办单位的建议提案"),
    Worklist("proposal_evaluate", "待登记代表委员评价", R.LIAISON, "主办单位已答复，等待登记代表或委员的评价", split=True),
    Worklist("petition_dispatch", "信访事项待交办", R.PETITION, "已登记、尚未交办承办单位的信访事项"),
    # the centre's decisions on a 信访事项 are the 信访办's (the only centre that sees it)
    Worklist("petition_return_review", "退单待审核", R.PETITION, "承办单位申请退回信访事项，等待审核"),
    Worklist("petition_extension", "延期待审批", R.PETITION, "承办单位申请延期，等待审批"),
    Worklist("petition_reply_review", "答复待审核", R.PETITION, "承办单位的答复等待审核", badge=False),
    Worklist("petition_visit", "待走访", R.PETITION_AGENT, "交给我代办、还没有走访或沟通记录的信访事项", split=True),
    Worklist("petition_conclude", "待确认事了心解", R.PETITION_AGENT, "承办单位已答复，等待代办员确认事了、心解",
             split=True),
    Worklist("petition_follow_up", "跟踪回访到期", R.PETITION_AGENT, "办结后的跟踪回访已到期"),
]
BY_CODE = {w.code: w for w in WORKLISTS}
PORTAL_ACCOUNT = "portal"  # the website's account (jiesu.portal.services.portal_user)
ENTERPRISE_ACCOUNT = "qiye"  # 政企直通车's account (jiesu.enterprise.direct.desk_user)
ONLINE_ACCOUNTS = (PORTAL_ACCOUNT, ENTERPRISE_ACCOUNT)  # their requests are rated online before anyone calls
OPEN_HANDLING = [State.PENDING_SIGN, State.IN_PROGRESS]


def _unsatisfied(now):
    since = now - timedelta(days=settings.JIESU_UNSATISFIED_REVIEW_DAYS)
    return Q(state=State.CLOSED, satisfaction="unsatisfied", callback_at__gte=since)


def condition(w: Worklist, user, now) -> Q:
    """The worklist's tickets (before the reader's visibility)."""
    from jiesu.hotspots.models import DuplicateMatch

    from .models import AssistPart, ExtensionRequest, ReplyReview, ReturnRequest, TicketAssignment

    unit = department_of(user)
    mine = Q(department_id=unit.pk) if unit is not None else Q(pk__in=[])
    # Few tickets wait for the centre's decision on a 退单 or an answer: found from those requests.
    returning = Q(pk__in=ReturnRequest.objects.filter(status=ReturnRequest.Status.PENDING).values("ticket_id"))
    reviewing = Q(pk__in=ReplyReview.objects.filter(status=ReplyReview.Status.PENDING).values("ticket_id"))
    waiting = returning | reviewing
    match w.code:
        case "callback":  # a website request waits for its citizen's 网上评价 first (JIESU_EVALUATION_DAYS)
            rating = now - timedelta(days=settings.JIESU_EVALUATION_DAYS)
            return Q(state=State.PENDING_CALLBACK) & ~Q(created_by__username__in=ONLINE_ACCOUNTS, replied_at__gt=rating)
        case "unsatisfied" | "redo_decision":
            return _unsatisfied(now)
        case "petition_visit" | "petition_conclude" | "petition_follow_up":
            from jiesu.channels.petitions import worklist_q

            return worklist_q(w.code, user)
        case "dispatch" | "proposal_dispatch" | "petition_dispatch":
            return Q(state=State.PENDING_DISPATCH)
        case "police_accept":
            from jiesu.channels.police import waiting_q

            return Q(state=State.PENDING_DISPATCH) & waiting_q()
        case "proposal_evaluate":
            return Q(state=State.PENDING_CALLBACK)
        case "returned":
            return Q(state=State.PENDING_DISPATCH) & Q(Exists(TicketAssignment.objects.filter(ticket=OuterRef("pk"))))
        case "extension" | "petition_extension":  # few are pending: found from them, not from every ticket in hand
            return Q(state=State.IN_PROGRESS, pk__in=ExtensionRequest.objects.filter(
                status=ExtensionRequest.Status.PENDING).values("ticket_id"))
        case "duplicate":
            return Q(state=State.PENDING_DISPATCH) & Q(Exists(DuplicateMatch.objects.filter(
                ticket=OuterRef("pk"), other__state__in=list(MERGEABLE_STATES))))
        case "return_review" | "petition_return_review":
            return Q(state__in=OPEN_HANDLING) & returning
        case "reply_review" | "petition_reply_review":
            return Q(state=State.IN_PROGRESS) & reviewing
        case "sign":
            return mine & Q(state=State.PENDING_SIGN) & ~waiting
        case "contact":
            return mine & Q(state=State.IN_PROGRESS, contacted_at__isnull=True) & ~waiting
        case "reply":
            return mine & Q(state=State.IN_PROGRESS, contacted_at__isnull=False) & ~waiting
        case "assist":  # found from the unit's open parts (few), not from every ticket
            parts = AssistPart.objects.filter(status__in=AssistPart.OPEN,
                                              department_id=unit.pk if unit is not None else None)
            return Q(state__in=OPEN_HANDLING, pk__in=parts.values("ticket_id"))
        case "awaiting":
            return mine & Q(state__in=OPEN_HANDLING) & waiting
        case "supervised":
            return mine & Q(state__in=OPEN_HANDLING, supervised=True)
        case "escalated":
            return Q(state__in=OPEN_HANDLING, escalated_at__isnull=False)
    raise ValueError(w.code)


def worklists_for(user) -> list[Worklist]:
    roles = roles_of(user)
    return [w for w in WORKLISTS if w.role in roles and (not w.own_unit or department_of(user) is not None)]


def has_page(user) -> bool:
    """Whether 我的待办 has anything for this reader (lists, or the leader's units below target)."""
    return bool(worklists_for(user)) or Role.LEADER in roles_of(user)


def q_for(user, code: str) -> Q:
    """工单查询's `todo` filter: the worklist's condition, refused for a reader it does not serve. A split's link
    adds `sla=warning` (the list's own time-limit filter: the same condition the count used)."""
    w = BY_CODE.get(code)
    if user is None or w is None or w not in worklists_for(user):
        raise ValidationFailed({"todo": f"没有这个待办：{code if len(code) <= 30 else code[:30] + '…'}"})
    return condition(w, user, clock.now())


def counts(user) -> dict[str, int]:
    """Every worklist's count for this reader, and each split's (`sign.warning`), in one SQL statement. Each list
    is its own derived table, so the database plans each with the index that suits it (a unit's tickets, the
    pending 延期, the 待派单 state) instead of one scan for the union of all."""
    from .models import Ticket

    lists = worklists_for(user)
    if not lists:
        return {}
    now = clock.now()
    overdue, warning = sla_status_q(Status.OVERDUE, now), sla_status_q(Status.WARNING, now)
    split = Case(When(overdue, then=Value(2)), When(warning, then=Value(1)), default=Value(0),
                 output_field=IntegerField())
    visible = Ticket.objects.visible_to(user).order_by()
    keys, tables, params = [], [], []
    for n, w in enumerate(lists):
        inner = visible.filter(condition(w, user, now))
        if w.split:
            sql, inner_params = inner.annotate(s=split).values("s").query.sql_with_params()
            columns = ["COUNT(*)"] + [f"COALESCE(SUM(CASE WHEN l.s = {i} THEN 1 ELSE 0 END), 0)" for i in range(3)]
            keys += [w.code] + [f"{w.code}.{s}" for s in SPLITS]
        else:
            sql, inner_params = inner.values("pk").query.sql_with_params()
            columns = ["COUNT(*)"]
            keys.append(w.code)
        tables.append(f"(SELECT {', '.join(columns)} FROM ({sql}) l) t{n}")
        params += inner_params
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {' CROSS JOIN '.join(tables)}", params)
        row = cursor.fetchone()
    return {key: int(value) for key, value in zip(keys, row, strict=True)}


def badge(user, found: dict[str, int] | None = None) -> int:
    """The menu's number: what needs the reader now (lists marked `badge`; for split lists only 临期 and 超期,
    except 待签收, which is all new work)."""
    found = counts(user) if found is None else found
    total = 0
    for w in worklists_for(user):
        if not w.badge:
            continue
        if w.split and w.code != "sign":
            total += found.get(f"{w.code}.warning", 0) + found.get(f"{w.code}.overdue", 0)
        else:
            total += found.get(w.code, 0)
    return total


def overdue_by_unit(user) -> list[dict]:
    """督办员: open tickets past a deadline, by the unit that holds them (one grouped query), most first."""
    from jiesu.directory.snapshot import directory

    from .models import Ticket

    if Role.SUPERVISOR not in roles_of(user):
        return []
    rows = (Ticket.objects.visible_to(user).filter(sla_status_q(Status.OVERDUE, clock.now()))
            .filter(department__isnull=False).values("department_id").annotate(n=Count("pk")).order_by("-n"))
    units = directory().departments
    return [{"department": units.get(r["department_id"]), "count": r["n"]} for r in rows
            if units.get(r["department_id"]) is not None]


def units_below_target(user) -> list[dict]:
    """领导: this month's units whose rate is below its target (from the KPI rollup)."""
    from jiesu.kpi import services as kpi
    from jiesu.kpi.definitions import RATES, target

    if Role.LEADER not in roles_of(user):
        return []
    filters = kpi.scoped(user, kpi.parse_filters({"period": "month"}))
    out = []
    for row in kpi.breakdown(filters, "department"):
        below = []
        for name, rate in RATES.items():
            value, goal = row["rates"].get(name), target(name, row["member"])
            if value is not None and goal is not None and value < goal:
                below.append({"label": rate.label, "value": value, "target": goal})
        if below:
            out.append({"department": row["member"], "below": below, "filters": row["filters"]})
    return out
