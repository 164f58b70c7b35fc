"""Pages of the special channels. Thin: the rules are in proposals.py, police.py, wages.py and petitions.py."""

from urllib.parse import quote

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from jiesu.core import clock
from jiesu.core.error_pages import error_response
from jiesu.core.errors import NotFound, PermissionDenied, ServiceError, ValidationFailed
from jiesu.core.validators import parse_day
from jiesu.directory.models import Department
from jiesu.directory.permissions import department_of, has_perm
from jiesu.directory.services import subtree_ids
from jiesu.tickets import access
from jiesu.tickets.models import Satisfaction
from jiesu.tickets.workflow import State

from . import petitions, police, proposals, wages
from .models import Body, Consultation, PoliceTransfer, ReplyLetter


@login_required
def proposal_list(request):
    """建议提案: the liaison office and the centre see all; a unit its own (主办 or 会办)."""
    year = request.GET.get("year", "")
    body = request.GET.get("body", "")
    rows = proposals.visible(request.user).select_related("ticket", "ticket__department")
    if year.isdecimal():
        rows = rows.filter(year=int(year))
    if body in Body.values:
        rows = rows.filter(body=body)
    return render(request, "channels/proposals/list.html", {
        "rows": rows.order_by("-year", "body", "number")[:300], "year": year, "body": body, "bodies": Body.choices,
        "years": proposals.years(), "can_register": has_perm(request.user, "proposal.register"),
        "can_statement": has_perm(request.user, "proposal.view_all")})


def _form(request, values=None, errors=None, status=200):
    return render(request, "channels/proposals/form.html", {
        "values": values or {"year": str(clock.today().year)}, "errors": errors or {},
        "bodies": Body.choices, "departments": Department.objects.filter(active=True).exclude(
            kind=Department.Kind.HOTLINE_CENTER).order_by("code")}, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def proposal_new(request):
    if not has_perm(request.user, "proposal.register"):
        return error_response(request, 403, PermissionDenied("您无权登记建议提案"))
    if request.method == "GET":
        return _form(request)
    try:
        proposal = proposals.register(request.user, request.POST)
    except ServiceError as exc:
        values = {k: request.POST.get(k, "") for k in request.POST}
        values["joint"] = request.POST.getlist("joint")
        return _form(request, values, exc.fields or {"form": exc.message}, exc.status)
    messages.success(request, f"已登记{proposal.label}" + ("并交办" if proposal.ticket.department_id else ""))
    return redirect("proposal_detail", number=proposal.ticket.number)


@login_required
def proposal_detail(request, number, errors=None, status=200):
    try:
        proposal = proposals.get(request.user, number)
    except NotFound:
        raise Http404 from None
    ticket = access.shown(request.user, proposal.ticket)
    department = department_of(request.user)
    is_lead = (department is not None and ticket.department_id in subtree_ids(department)
               and has_perm(request.user, "ticket.reply"))
    round_ = proposals.redo_count(ticket) + 1
    current = proposal.letters.filter(round=round_).first()
    reviewing = ticket.state == State.IN_PROGRESS and ticket.pending_review is not None
    values = request.POST if errors else {}
    if not errors and current is not None and ticket.state == State.IN_PROGRESS and not reviewing:
        # sent back by the centre's 答复审核: the letter again, to be revised
        values = {"document_number": current.document_number, "signer": current.signer, "text": current.text,
                  "answer_class": current.answer_class, "contact": current.contact}
    return render(request, "channels/proposals/detail.html", {
        "proposal": proposal, "ticket": ticket, "consultations": proposal.consultations.select_related("department"),
        "letters": proposal.letters.select_related("department", "signed_copy"), "errors": errors or {},
        "is_lead": is_lead, "can_handle": is_lead and ticket.state == State.IN_PROGRESS,
        "needs_sign": is_lead and ticket.state == State.PENDING_SIGN,
        "letter_form": is_lead and ticket.state == State.IN_PROGRESS and not reviewing,
        "sent_back": current is not None and ticket.state == State.IN_PROGRESS and not reviewing,
        "reviewing": reviewing,
        "can_evaluate": has_perm(request.user, "proposal.register") and ticket.state == State.PENDING_CALLBACK,
        "redo_left": proposals.redo_count(ticket) < proposals.REDO_LIMIT,
        "forms": Consultation.Form.choices, "classes": ReplyLetter.AnswerClass.choices,
        "satisfactions": [(s.value, s.label) for s in (Satisfaction.SATISFIED, Satisfaction.BASIC,
                                                       Satisfaction.UNSATISFIED)],
        "evaluation_note": ticket.events.filter(action="callback").order_by("-created_at").values_list(
            "note", flat=True).first() if ticket.satisfaction else "",
        "values": values}, status=status)


@login_required
@require_POST
def proposal_action(request, number, action):
    """沟通面商 / 答复函 / 代表委员评价 / 上传签章件."""
    try:
        match action:
            case "consult":
                proposals.consult(request.user, number, request.POST)
                messages.success(request, "已记录沟通面商")
            case "reply":
                proposals.reply(request.user, number, request.POST, request.FILES.get("signed_copy"))
                messages.success(request, "已答复；可下载答复函（Word）打印签发，签章件可随后上传")
            case "evaluate":
                proposals.evaluate(request.user, number, request.POST)
                messages.success(request, "已登记评价")
            case "signed":
                upload = request.FILES.get("signed_copy")
                if upload is None:
                    raise ValidationFailed({"signed_copy": "请选择签章件文件"})
                round_ = request.POST.get("round", "")
                proposals.attach_signed_copy(request.user, number, int(round_) if round_.isdecimal() else 0, upload)
                messages.success(request, "已上传签章件")
            case _:
                raise Http404
    except NotFound:
        raise Http404 from None
    except ServiceError as exc:
        if exc.status == 403:
            return error_response(request, exc.status, exc)
        if exc.fields:
            return proposal_detail(request, number, errors=exc.fields, status=exc.status)
        messages.error(request, exc.message)
    return redirect("proposal_detail", number=number)


@login_required
def letter_download(request, number, round_):
    try:
        proposal = proposals.get(request.user, number)
    except NotFound:
        raise Http404 from None
    letter = proposal.letters.select_related("department", "proposal__ticket").filter(round=round_).first()
    if letter is None:
        raise Http404
    response = HttpResponse(proposals.letter_docx(letter), content_type=(
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document"))
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(f'答复函_{proposal.label}.docx')}"
    return response


@login_required
def proposal_statement(request):
    """年度办理情况: by 主办 unit, with the Excel export."""
    if not has_perm(request.user, "proposal.view_all"):
        return error_response(request, 403, PermissionDenied("您无权查看建议提案办理情况"))
    year_raw = request.GET.get("year", "")
    year = int(year_raw) if year_raw.isdecimal() and 2000 <= int(year_raw) <= 2100 else clock.today().year
    body = request.GET.get("body", "")
    body = body if body in Body.values else ""
    if request.GET.get("format") == "xlsx":
        from jiesu.kpi.excel import xlsx_response

        return xlsx_response(proposals.statement_workbook(year, body), f"建议提案办理情况_{year}.xlsx")
    total, lines = proposals.statement(year, body)
    return render(request, "channels/proposals/statement.html", {
        "total": total, "lines": lines, "year": year, "body": body, "bodies": Body.choices,
        "years": proposals.years()})


# ---------------------------------------------------------------- 110 ↔ 12345 联动

@login_required
def police_list(request):
    """110联动: the transfers both ways in a period, each way's figures, and the 转入 still to sign."""
    if not has_perm(request.user, "police110.view"):
        return error_response(request, 403, PermissionDenied("您无权查看110联动"))
    today = clock.today()
    first = parse_day(request.GET.get("from")) or today.replace(day=1)
    last = parse_day(request.GET.get("to")) or today
    if first > last:
        first, last = last, first
    direction = request.GET.get("direction", "")
    now = clock.now()
    rows = list(police.period_links(request.user, first, last, direction)
                .select_related("ticket", "ticket__department", "acked_by").order_by("-transferred_at")[:300])
    sent = police.last_messages(rows)
    for link in rows:
        link.last_message = sent.get(link.ticket_id)
        link.last_label = police.message_label(link.last_message) if link.last_message else ""
        link.can_accept = (link.direction == PoliceTransfer.Direction.INBOUND and link.acked_at is None
                           and link.ticket.state == State.PENDING_DISPATCH)
        link.ack_late = (link.acked_at or now) > link.ack_due_at
        link.minutes_left = max(0, int((link.ack_due_at - now).total_seconds() // 60))
    figures = police.statistics(police.period_links(request.user, first, last), now)
    return render(request, "channels/police/list.html", {
        "rows": rows, "figures": figures, "first": first, "last": last, "direction": direction,
        "directions": PoliceTransfer.Direction.choices, "can_handle": has_perm(request.user, "police110.handle"),
        "ack_minutes": settings.JIESU_POLICE110_ACK_MINUTES})


# ---------------------------------------------------------------- 欠薪线索

def _period(request):
    today = clock.today()
    first = parse_day(request.GET.get("from")) or today.replace(day=1)
    last = parse_day(request.GET.get("to")) or today
    return (last, first) if first > last else (first, last)


@login_required
def wage_list(request):
    """欠薪线索: the clues registered in a period, the figures by unit (线索数, 办结率, 追回金额) and the 台账."""
    if not has_perm(request.user, "wage.view"):
        return error_response(request, 403, PermissionDenied("您无权查看欠薪线索"))
    first, last = _period(request)
    rows = wages.period_tickets(request.user, first, last)
    if request.GET.get("format") == "xlsx":
        from jiesu.kpi.excel import xlsx_response

        return xlsx_response(wages.ledger_workbook(rows, first, last), f"欠薪线索台账_{first:%Y%m%d}-{last:%Y%m%d}.xlsx")
    rows = list(rows)
    total, lines = wages.figures(rows)
    return render(request, "channels/wages/list.html", {
        "rows": rows[:300], "more": max(0, len(rows) - 300), "total": total, "lines": lines, "first": first,
        "last": last})


@login_required
@require_POST
def wage_action(request, number, action):
    """登记欠薪信息 (record) or 处理结果 (settle), from the ticket page; back to it with what was done."""
    act = {"record": wages.record, "settle": wages.settle}.get(action)
    if act is None:
        raise Http404
    data = request.POST.dict()
    data.pop("csrfmiddlewaretoken", None)
    try:
        act(request.user, number, data)
    except NotFound:
        raise Http404 from None
    except ServiceError as exc:
        messages.error(request, exc.full_message())
        if isinstance(exc, ValidationFailed):
            request.session["wage_form"] = {"action": action, "values": data, "errors": exc.fields}
    else:
        messages.success(request, "已登记欠薪信息" if action == "record" else "已登记处理结果，可以答复")
    return redirect("ticket_detail", number=number)


# ---------------------------------------------------------------- 信访代办

def _may_see_petitions(user) -> bool:
    return has_perm(user, "petition.view_all") or has_perm(user, "petition.agent")


@login_required
def petition_list(request):
    """信访事项: the 信访办's all, a 代办员's own; each 代办员's figures (事了率, 心解率, 事心双解率)."""
    if not _may_see_petitions(request.user):
        return error_response(request, 403, PermissionDenied("您无权查看信访事项"))
    first, last = _period(request)
    start, end = clock.day_range(first, last)
    rows = petitions.visible(request.user).filter(ticket__created_at__gte=start, ticket__created_at__lt=end)
    total, lines = petitions.figures(rows)
    listed = (rows.select_related("ticket", "ticket__department", "agent").order_by("-ticket__created_at")[:300])
    return render(request, "channels/petitions/list.html", {
        "rows": listed, "total": total, "lines": lines, "first": first, "last": last,
        "can_register": has_perm(request.user, "petition.register"), "today": clock.today()})


def _petition_form(request, values=None, errors=None, status=200):
    from jiesu.directory.models import Region

    from .models import PetitionForm

    return render(request, "channels/petitions/form.html", {
        "values": values or {}, "errors": errors or {}, "forms": PetitionForm.choices,
        "kinds": [(k.value, k.label) for k in petitions.KINDS], "agents": petitions.agents(),
        "regions": Region.objects.filter(level__gte=Region.Level.STREET).select_related("parent"),
        "departments": Department.objects.filter(active=True).exclude(
            kind=Department.Kind.HOTLINE_CENTER).order_by("code")}, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def petition_new(request):
    if not has_perm(request.user, "petition.register"):
        return error_response(request, 403, PermissionDenied("您无权登记信访事项"))
    if request.method == "GET":
        return _petition_form(request)
    try:
        petition = petitions.register(request.user, request.POST)
    except ServiceError as exc:
        values = {k: request.POST.get(k, "") for k in request.POST}
        return _petition_form(request, values, {**exc.fields, "summary": exc.message}, exc.status)
    messages.success(request, f"已登记信访事项 {petition.ticket.number}，代办员："
                              f"{petition.agent.get_full_name() or petition.agent.username}"
                              + ("，并已交办" if petition.ticket.department_id else ""))
    return redirect("petition_detail", number=petition.ticket.number)


@login_required
def petition_detail(request, number, errors=None, failed="", values=None, status=200):
    from .models import Accepted, PetitionVisit, Settled

    try:
        petition = petitions.get(request.user, number)
    except (NotFound, PermissionDenied):
        raise Http404 from None
    ticket = access.shown(request.user, petition.ticket, detail=True, via="petition")
    mine = has_perm(request.user, "petition.agent") and petition.agent_id == request.user.pk
    closed = ticket.state == State.CLOSED
    ended = ticket.state in (State.INVALID, State.MERGED, State.TRANSFERRED)
    return render(request, "channels/petitions/detail.html", {
        "petition": petition, "ticket": ticket, "visits": petition.visits.select_related("by"),
        "errors": errors or {}, "failed": failed, "values": values or {}, "today": clock.today(),
        "can_visit": mine and not ended, "closed": closed,
        "can_conclude": mine and ticket.state == State.PENDING_CALLBACK,
        "can_reassign": has_perm(request.user, "petition.register") and not closed and not ended,
        "agents": petitions.agents() if has_perm(request.user, "petition.register") else [],
        "visit_kinds": [(k, label) for k, label in PetitionVisit.Kind.choices
                        if (k == PetitionVisit.Kind.FOLLOW_UP) == closed],
        "settled_choices": Settled.choices, "accepted_choices": Accepted.choices}, status=status)


@login_required
@require_POST
def petition_action(request, number, action):
    """走访记录 (visit), 事心双解 (conclude), 另派代办员 (reassign)."""
    data = request.POST.dict()
    data.pop("csrfmiddlewaretoken", None)
    act = {"visit": lambda: petitions.log_visit(request.user, number, data),
           "conclude": lambda: petitions.conclude(request.user, number, data),
           "reassign": lambda: petitions.reassign(request.user, number, data.get("agent", ""))}.get(action)
    if act is None:
        raise Http404
    try:
        act()
    except NotFound:
        raise Http404 from None
    except ValidationFailed as exc:
        messages.error(request, exc.full_message())
        return petition_detail(request, number, errors=exc.fields, failed=action, values=data, status=exc.status)
    except ServiceError as exc:
        messages.error(request, exc.full_message())
    else:
        done = {"visit": "已记录", "conclude": "已确认事了、心解，事项办结；跟踪回访已排期", "reassign": "已另派代办员"}
        messages.success(request, done[action])
        if not petitions.visible(request.user).filter(ticket__number=number).exists():
            return redirect("petition_list")  # the former 代办员's view ends with the assignment
    return redirect("petition_detail", number=number)
