"""Back-office pages. Thin: read through access/queries, write through services, show ServiceErrors."""

from datetime import timedelta

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from jiesu.core import clock
from jiesu.core.errors import NotFound, ServiceError
from jiesu.directory.models import Category, Department, Region, Role
from jiesu.directory.permissions import department_of, has_perm, roles_of
from jiesu.directory.services import subtree_ids, suggest_department
from jiesu.hotspots import services as hotspots
from jiesu.knowledge import cases
from jiesu.routing.models import Prediction
from jiesu.routing.services import threshold as routing_threshold
from jiesu.sla.services import Status as SlaStatus

from . import access, calls, services, worklists
from .models import (
    INTAKE_CHANNELS,
    AssistPart,
    Attachment,
    CallbackStatus,
    CallerDataView,
    Channel,
    ContactMethod,
    InvalidReason,
    Kind,
    ReplyResult,
    ReplyReview,
    ReturnReason,
    ReturnRequest,
    Satisfaction,
    Ticket,
    Urgency,
)
from .queries import TicketFilter, apply_filter
from .queries import caller_history as caller_history_of
from .workflow import MERGEABLE_STATES, Action, State


def _flash_error(request, exc: ServiceError) -> None:
    messages.error(request, exc.full_message())


def _choices_context() -> dict:
    return {
        "channels": Channel.choices,
        "kinds": Kind.choices,
        "urgencies": Urgency.choices,
        "states": State.choices,
        "reply_results": ReplyResult.choices,
        "callback_statuses": CallbackStatus.choices,
        "satisfactions": Satisfaction.choices,
        "invalid_reasons": InvalidReason.choices,
        "contact_methods": ContactMethod.choices,
        "return_reasons": ReturnReason.choices,
        "sla_statuses": list(SlaStatus.LABELS.items()),
    }


@login_required
def caller_history(request):
    """来电登记: the caller's earlier tickets as the operator types the number (htmx)."""
    try:
        history = caller_history_of(request.user, request.GET.get("caller_phone", ""))
    except ServiceError as exc:
        raise PermissionDenied(exc.message) from None
    return render(request, "tickets/_caller_history.html", {"history": history})


@login_required
def incoming_call(request):
    """来电弹屏 (polled by 来电登记): the newest call announced to this operator, once; 204 when there is none."""
    if not (has_perm(request.user, "ticket.create") and has_perm(request.user, "ticket.view_caller")):
        raise Http404
    call = calls.next_for(request.user)
    if call is None:
        return HttpResponse(status=204)
    history = caller_history_of(request.user, call.phone)
    latest = history.recent[0] if history and history.recent else None
    return render(request, "tickets/_incoming_call.html", {
        "call": call, "history": history, "name": latest.caller_name if latest else ""})


@login_required
def home(request):
    user = request.user
    if worklists.has_page(user):
        return redirect("todo")
    for perm, target in (
        ("ticket.dispatch", "dispatch_queue"),
        ("ticket.create", "intake"),
        ("ticket.view_department", "inbox"),
        ("enterprise.help", "enterprise_helping"),
    ):
        if has_perm(user, perm):
            return redirect(target)
    return redirect("ticket_list")


@login_required
def intake(request):
    if not has_perm(request.user, "ticket.create"):
        raise Http404
    values, errors = {}, {}
    if request.method == "POST":
        values = request.POST.dict()
        try:
            ticket = services.create_ticket(actor=request.user, data=values)
        except ServiceError as exc:
            errors = exc.fields
            _flash_error(request, exc)
        else:
            state = _registered_message(ticket)
            code = f"。查询码 {ticket.query_code}（请告知来电人，凭工单编号和查询码查询进度）" \
                if ticket.query_code and ticket.state != State.CLOSED else ""
            messages.success(request, f"工单 {ticket.number} {state}{code}")
            return redirect("ticket_detail", number=ticket.number)
    return render(
        request,
        "tickets/intake.html",
        {
            "values": values,
            "errors": errors,
            "regions": Region.objects.filter(level__gte=Region.Level.STREET).select_related("parent"),
            "categories": Category.objects.filter(active=True).select_related("parent__parent"),
            "can_instant_close": has_perm(request.user, "ticket.instant_close"),
            "takes_calls": has_perm(request.user, "ticket.view_caller"),
            "call_poll_ms": settings.JIESU_CALL_POLL_MS,
            **_choices_context(),
            "channels": INTAKE_CHANNELS,
        },
    )


def _registered_message(ticket) -> str:
    """What the operator is told happened: closed, waiting for dispatch (and why 智能派单 held back), or where it
    was sent on its own."""
    if ticket.state == State.CLOSED:
        return "已即时办结"
    prediction = Prediction.objects.filter(ticket=ticket).select_related("department").order_by("-id").first()
    if ticket.state == State.PENDING_DISPATCH:
        limit = routing_threshold()
        if (prediction and prediction.department and limit is not None and prediction.confidence >= limit
                and hotspots.has_open_duplicate(ticket)):
            return "已登记，有疑似重复的在办工单，未自动派单，等待派单员研判并单"
        return "已登记，等待派单"
    unit = ticket.department.name if ticket.department else "承办单位"
    if prediction and prediction.source == Prediction.Source.AUTO:
        return f"已登记，已自动派往 {unit}（置信度 {prediction.confidence:.0%}）"
    return f"已登记，已派往 {unit}（{ticket.get_state_display()}）"


@login_required
def dispatch_queue(request):
    if not has_perm(request.user, "ticket.dispatch"):
        raise Http404
    tickets = list(
        Ticket.objects.visible_to(request.user)
        .filter(state=State.PENDING_DISPATCH)
        .select_related("category__parent__parent", "region", "repeat_of")
        .order_by("created_at")[:200]
    )
    # One query for the upheld 退单 of each ticket, and one routing look-up per (category, region) pair.
    returns, returned_by = {}, {}
    for r in ReturnRequest.objects.filter(ticket__in=tickets, status=ReturnRequest.Status.APPROVED) \
            .select_related("department").order_by("decided_at", "id"):
        returns[r.ticket_id] = r
        returned_by.setdefault(r.ticket_id, set()).add(r.department_id)
    predictions = {
        p.ticket_id: p
        for p in Prediction.objects.filter(ticket__in=tickets).select_related("department").order_by("id")
    }
    matches = hotspots.matches_of(tickets)
    suggestions = {}
    for ticket in tickets:
        key = (ticket.category_id, ticket.region_id)
        if key not in suggestions:
            suggestions[key] = suggest_department(ticket.category, ticket.region)
        ticket.prediction = predictions.get(ticket.pk)
        # The operator's category decides; without one, the router's suggestion is preselected only when it is
        # sure enough (JIESU_ROUTING_PRESELECT); a unit that returned the ticket is never preselected again.
        prediction = ticket.prediction
        by_router = prediction.department if prediction and prediction.confidence >= settings.JIESU_ROUTING_PRESELECT \
            else None
        ticket.suggested = suggestions[key] if ticket.category_id else (by_router or suggestions[key])
        ticket.returned = returns.get(ticket.pk)
        if ticket.suggested is not None and ticket.suggested.pk in returned_by.get(ticket.pk, ()):
            ticket.returned_suggestion, ticket.suggested = ticket.suggested, None
        ticket.matches = matches.get(ticket.pk, [])
        # 疑似重复 in view; merely 相似 ones folded behind 更多相似, so the queue stays a list of tickets.
        ticket.flagged = [m for m in ticket.matches if m.score >= settings.JIESU_DUPLICATE_FLAG]
        ticket.similar = [m for m in ticket.matches if m.score < settings.JIESU_DUPLICATE_FLAG]
    departments = Department.objects.filter(active=True).exclude(kind=Department.Kind.HOTLINE_CENTER)
    return render(
        request, "tickets/dispatch.html",
        {"tickets": tickets, "departments": departments, "auto_threshold": routing_threshold() or 0.8,
         "flag": settings.JIESU_DUPLICATE_FLAG},
    )


INBOX_TABS = [
    ("sign", "待签收"),
    ("progress", "办理中"),
    ("reply", "待答复"),
]


@login_required
def inbox(request):
    department = department_of(request.user)
    if not has_perm(request.user, "ticket.view_department") or department is None:
        raise Http404
    base = (
        Ticket.objects.visible_to(request.user)
        .filter(department=department)
        .select_related("category__parent__parent", "region")
    )
    soon = clock.now() + timedelta(days=1)
    # 待答复: work in hand that needs an answer now: supervised, sent back for 重办, or due within a day.
    needs_reply = Q(supervised=True) | Q(reply_due_at__lte=soon) | Q(events__action=Action.REDO)
    lists = {
        "sign": base.filter(state=State.PENDING_SIGN),
        "progress": base.filter(state=State.IN_PROGRESS),
        "reply": base.filter(state=State.IN_PROGRESS).filter(needs_reply).distinct(),
    }
    tab = request.GET.get("tab", "sign")
    if tab not in lists:
        tab = "sign"
    tabs = [(key, label, lists[key].count()) for key, label in INBOX_TABS]
    return render(
        request,
        "tickets/inbox.html",
        {"tabs": tabs, "tab": tab, "department": department,
         "tickets": [access.shown(request.user, t) for t in lists[tab].order_by("created_at")[:200]]},
    )


@login_required
def ticket_list(request):
    queryset = Ticket.objects.visible_to(request.user).select_related(
        "category__parent__parent", "department", "region"
    )
    ticket_filter = TicketFilter.from_mapping(request.GET)
    try:
        queryset = apply_filter(queryset, ticket_filter, request.user)
    except ServiceError as exc:
        _flash_error(request, exc)
        queryset = queryset.none()
    page = Paginator(queryset, 20).get_page(request.GET.get("page"))
    page.object_list = [access.shown(request.user, t) for t in page.object_list]
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "tickets/list.html",
        {
            "page": page,
            "filter": ticket_filter,
            "query": query.urlencode(),
            "departments": Department.objects.filter(active=True),
            "categories": Category.objects.filter(active=True, level__lte=2).select_related("parent"),
            "regions": Region.objects.all(),
            "todo": worklists.BY_CODE.get(ticket_filter.todo),
            "sla_label": SlaStatus.LABELS.get(ticket_filter.sla, ""),
            **_choices_context(),
        },
    )


@login_required
def todo(request):
    """我的待办: the reader's worklists with their counts, each a link to exactly its tickets."""
    user = request.user
    found = worklists.counts(user)
    sections = {}
    for w in worklists.worklists_for(user):
        row = {"list": w, "count": found.get(w.code, 0),
               "splits": [(s, SlaStatus.LABELS[s], found.get(f"{w.code}.{s}", 0)) for s in worklists.SPLITS]
               if w.split else []}
        sections.setdefault(Role(w.role).label, []).append(row)
    return render(request, "tickets/todo.html", {
        "sections": [{"role": role, "rows": rows, "split": any(r["splits"] for r in rows)}
                     for role, rows in sections.items()],
        "overdue_units": worklists.overdue_by_unit(user),
        "below_target": worklists.units_below_target(user),
        "badge": worklists.badge(user, found),
        "is_leader": Role.LEADER in roles_of(user),
    })


@login_required
def ticket_detail(request, number):
    try:
        ticket = access.shown(request.user, access.access_ticket(request.user, number), detail=True)
    except NotFound:
        raise Http404 from None
    actions = {t.action.value for t in access.actions_for(request.user, ticket)}
    duplicates = access.duplicates_for(request.user, ticket) if has_perm(request.user, "ticket.view_all") \
        or has_perm(request.user, "ticket.dispatch") else []
    for match in duplicates:
        match.can_take = match.other.state in MERGEABLE_STATES
    flagged = [m for m in duplicates if m.score >= settings.JIESU_DUPLICATE_FLAG and m.can_take]
    # 并单 and 重复来电 name other tickets: only those this user may open are named, the rest only counted.
    children = list(ticket.merged_children.order_by("id"))
    linked = access.visible_ids(request.user, [pk for pk in (ticket.merged_into_id, ticket.repeat_of_id,
                                                              *(c.pk for c in children)) if pk])
    return_requests = list(ticket.return_requests.select_related("department", "evidence"))
    assists = list(ticket.assists.select_related("department", "submitted_by"))
    # A unit whose 退单 was upheld is never preselected again (the dispatch queue does the same).
    returned_by = {x.department_id for x in return_requests if x.status == ReturnRequest.Status.APPROVED}
    suggested = suggest_department(ticket.category, ticket.region) if Action.DISPATCH in actions else None
    reply_reviews = list(ticket.reply_reviews.select_related("department"))
    my_department = department_of(request.user)
    sub_units = []
    if Action.SUBDISPATCH in actions and my_department is not None:
        sub_units = Department.objects.filter(pk__in=subtree_ids(my_department), active=True).exclude(
            pk=my_department.pk
        )
    return render(
        request,
        "tickets/detail.html",
        {
            "ticket": ticket,
            "events": ticket.events.select_related("actor", "actor_department", "department"),
            "attachments": ticket.attachments.all(),
            "extensions": ticket.extensions.select_related("requested_by", "decided_by"),
            "return_requests": return_requests,
            "assists": assists,
            "open_assists": any(a.status in AssistPart.OPEN for a in assists),
            "my_part": next((a for a in assists if a.status in AssistPart.OPEN and my_department is not None
                             and a.department_id == my_department.pk), None),
            "pending_return": next((x for x in return_requests if x.status == ReturnRequest.Status.PENDING), None),
            "reply_reviews": reply_reviews,
            "pending_review": next((x for x in reply_reviews if x.status == ReplyReview.Status.PENDING), None),
            # Sent back: the unit edits its answer rather than typing it again.
            "draft_reply": reply_reviews[0] if reply_reviews and reply_reviews[0].status == ReplyReview.Status.REJECTED
            else None,
            "actions": actions,
            "departments": Department.objects.filter(active=True).exclude(kind=Department.Kind.HOTLINE_CENTER),
            "suggested": suggested if suggested and suggested.pk not in returned_by else None,
            "sub_units": sub_units,
            "attachment_purposes": Attachment.Purpose.choices,
            "prediction": ticket.predictions.select_related("department", "final_department").order_by("-id").first(),
            "can_dispatch": has_perm(request.user, "ticket.dispatch") or has_perm(request.user, "ticket.view_all"),
            "duplicates": duplicates,
            "flag": settings.JIESU_DUPLICATE_FLAG,
            "merge_from": ticket.number if Action.MERGE in actions else "",
            "best_parent": flagged[0].other.number if flagged else "",
            "children": [access.shown(request.user, c) for c in children if c.pk in linked],
            "hidden_children": sum(c.pk not in linked for c in children),
            "merged_into": access.shown(request.user, ticket.merged_into) if ticket.merged_into_id in linked else None,
            "repeat_of": ticket.repeat_of if ticket.repeat_of_id in linked else None,
            "cases": cases.similar_to(ticket, user=request.user) if ticket.state != State.CLOSED and (
                has_perm(request.user, "ticket.view_department") or has_perm(request.user, "ticket.dispatch")) else [],
            **_choices_context(),
        },
    )


# Actions that ask the centre rather than settle anything: the message says what happens next.
ASKED = {
    Action.RETURN: "已提交退单申请，等待派单员审核（审核期间办理时限照常计算）",
    Action.SUBMIT_REPLY: "已提交答复，等待热线中心审核后转回访",
    Action.REQUEST_EXTENSION: "已提交延期申请，等待审批",
}


def _done(ticket, action: str) -> str:
    """What the flash says was done; for the 110 actions, honestly whether a message to 110 can leave."""
    if action not in (Action.ACCEPT_110, Action.TRANSFER_110):
        return ASKED.get(action) or f"已{Action(action).label}"
    to_110 = ("发往110的消息已排队发送，失败会自动重试" if settings.JIESU_POLICE110_URL and settings.JIESU_POLICE110_SECRET
              else "110对接地址尚未配置，发往110的消息暂未发出，请联系管理员")
    if action == Action.ACCEPT_110:
        return f"已签收110转办（{to_110}）"
    if ticket.channel == Channel.POLICE_110:  # a 110转办 that is a 警情 after all
        return f"已退回110（{to_110}）"
    return f"已转110（{to_110}）；110的签收和处警结果将显示在工单上"


@login_required
@require_POST
def ticket_act(request, number, action):
    payload = request.POST.dict()
    payload.pop("csrfmiddlewaretoken", None)
    if "assist" in request.POST:  # several 协办 units from one multiple select
        payload["assist"] = request.POST.getlist("assist")
    if "file" in request.FILES:
        payload["file"] = request.FILES["file"]
    try:
        ticket = services.perform(number, action, actor=request.user, **payload)
    except NotFound:
        raise Http404 from None
    except ServiceError as exc:
        _flash_error(request, exc)
    else:
        done = _done(ticket, action)
        messages.success(request, f"{done}：{ticket.number}（当前状态：{ticket.get_state_display()}）")
        if request.POST.get("next") in {"dispatch_queue", "inbox", "police110_list"}:
            return redirect(request.POST["next"])
        if not Ticket.objects.visible_to(request.user).filter(pk=ticket.pk).exists():
            return redirect("home")
    return redirect("ticket_detail", number=number)


@login_required
def attachment_download(request, number, attachment_id):
    try:
        ticket = access.access_ticket(request.user, number)
    except NotFound:
        raise Http404 from None
    attachment = ticket.attachments.filter(pk=attachment_id).first()
    if attachment is None:
        raise Http404
    return FileResponse(attachment.file.open("rb"), as_attachment=True, filename=attachment.name)


@login_required
def caller_views(request):
    """来电人信息查看记录: who among the handling units was shown which caller, and when (for supervisors)."""
    if not has_perm(request.user, "ticket.audit_caller_views"):
        raise PermissionDenied
    views = CallerDataView.objects.select_related("ticket", "user", "department")
    who, number = request.GET.get("user", "").strip(), request.GET.get("ticket", "").strip()
    if who:
        views = views.filter(user__username=who)
    if number:
        views = views.filter(ticket__number=number)
    page = Paginator(views, 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "tickets/caller_views.html", {"page": page, "who": who, "number": number,
                                                         "query": query.urlencode()})
