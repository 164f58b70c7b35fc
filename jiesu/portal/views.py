"""Public pages (no staff login). Thin: the rules are in services and core.ratelimit."""

import uuid

from django.conf import settings
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from jiesu.core import clock, idempotency, ratelimit
from jiesu.core.errors import ServiceError
from jiesu.core.masking import mask_phone
from jiesu.directory.models import Region
from jiesu.knowledge import services as knowledge
from jiesu.tickets.models import Kind, Satisfaction
from jiesu.tickets.services import MAX_CONTENT

from . import services
from .formkit import HUMAN_CHECK_FAILED, human_check, human_check_passed, submission_key
from .models import Deflection


@require_http_methods(["GET", "POST"])
def track(request):
    """进度查询: ticket number + 查询码. Works without JavaScript. Limited per address and per number, so a 6-digit
    查询码 cannot be guessed; a wrong code and an unknown number get the same answer."""
    context = {"number": "", "found": None, "error": "", "satisfactions": Satisfaction.choices}
    if request.method == "GET":
        context["number"] = request.GET.get("number", "").strip()[:20]
        return render(request, "portal/track.html", context)
    number = request.POST.get("number", "").strip()[:20]
    code = request.POST.get("code", "").strip()
    context["number"] = number
    per_hour = settings.JIESU_TRACK_LIMITS
    if not (ratelimit.hit(f"track:ip:{ratelimit.client_address(request)}", per_hour[0], 3600)
            and ratelimit.hit(f"track:no:{number}", per_hour[1], 3600)):
        context["error"] = "查询过于频繁，请一小时后再试；如有急事请拨打12345。"
        return render(request, "portal/track.html", context, status=429)
    if not number or not code:
        context["error"] = "请输入工单编号和查询码。"
        return render(request, "portal/track.html", context, status=400)
    found = services.track(number, code)
    if found is None:
        context["error"] = "未查到与该工单编号和查询码相符的诉求，请核对受理短信中的编号和查询码。"
        return render(request, "portal/track.html", context, status=404)
    context["found"], context["code"] = found, code
    return render(request, "portal/track.html", context)


@require_POST
def rate(request):
    """网上评价 from the 进度查询 page: the number and 查询码 again (the page keeps no session), then the rating."""
    number = request.POST.get("number", "").strip()[:20]
    code = request.POST.get("code", "").strip()
    context = {"number": number, "found": None, "error": "", "satisfactions": Satisfaction.choices}
    if not ratelimit.hit(f"track:ip:{ratelimit.client_address(request)}", settings.JIESU_TRACK_LIMITS[0], 3600):
        context["error"] = "操作过于频繁，请一小时后再试。"
        return render(request, "portal/track.html", context, status=429)
    try:
        ticket = services.evaluate(number, code, request.POST)
    except ServiceError as exc:
        found = services.track(number, code)
        context.update(found=found, code=code, error=exc.fields and "请选择满意度和是否解决" or exc.message)
        return render(request, "portal/track.html", context, status=exc.status)
    if ticket is None:
        context["error"] = "未查到与该工单编号和查询码相符的诉求，请核对受理短信中的编号和查询码。"
        return render(request, "portal/track.html", context, status=404)
    context.update(found=services.citizen_view(ticket), code=code, notice="感谢您的评价！")
    return render(request, "portal/track.html", context)


PHONE_SESSION_MINUTES = 30  # a verified phone may list its requests for this long


@require_http_methods(["GET", "POST"])
def track_phone(request):
    """进度查询 by phone: a small sum, an SMS code, then the list of that number's requests (no 查询码 needed)."""
    phone = request.POST.get("caller_phone", "").strip()[:20]
    context = {"phone": phone, "errors": {}, "notice": "", "check": ""}
    status = 200
    if request.method == "POST" and "send_code" in request.POST:
        context["errors"], status, context["notice"] = _send_code(request, phone)
    elif request.method == "POST":
        if not ratelimit.hit(f"track:ip:{ratelimit.client_address(request)}", settings.JIESU_TRACK_LIMITS[0], 3600):
            context["errors"], status = {"sms_code": "查询过于频繁，请一小时后再试"}, 429
        elif services.verify_code(phone, request.POST.get("sms_code", "")):
            until = clock.now().timestamp() + PHONE_SESSION_MINUTES * 60
            request.session["portal_phone"] = {"phone": phone, "until": until}
            return redirect("track_mine")
        else:
            context["errors"], status = {"sms_code": "验证码不正确或已过期，请重新获取"}, 400
    context["check"] = human_check(request)
    return render(request, "portal/track_phone.html", context, status=status)


def track_mine(request):
    """The verified phone's requests, each with its timeline (and 网上评价 where open)."""
    verified = request.session.get("portal_phone")
    if not verified or verified["until"] < clock.now().timestamp():
        request.session.pop("portal_phone", None)
        return redirect("track_phone")
    rows = services.requests_of(verified["phone"])
    return render(request, "portal/track_mine.html", {
        "phone": mask_phone(verified["phone"]), "rows": [(t.query_code, view) for t, view in rows],
        "satisfactions": Satisfaction.choices})


FIELDS = ("kind", "content", "region", "address", "caller_name", "caller_phone", "public", "caller_confidential")


def _send_code(request, phone: str) -> tuple[dict, int, str]:
    """获取短信验证码 in any citizen form: the small sum first, then the code. Returns (errors, status, notice)."""
    if not human_check_passed(request):
        return dict(HUMAN_CHECK_FAILED), 400, ""
    try:
        services.send_code(phone, ratelimit.client_address(request))
    except ServiceError as exc:
        return exc.fields or {"caller_phone": exc.message}, exc.status, ""
    return {}, 200, f"验证码已发送至 {mask_phone(phone)}，10 分钟内有效"


def _form(request, values: dict, *, errors=None, notice="", status=200, new_key=False):
    streets = Region.objects.filter(level=Region.Level.STREET).order_by("code")
    return render(request, "portal/submit.html", {
        "values": values, "errors": errors or {}, "notice": notice, "check": human_check(request),
        # One key per filled-in form: submitted twice (a double click, a retry after a lost answer), it files once.
        "submission_key": (None if new_key else submission_key(request)) or uuid.uuid4().hex,
        "kinds": [(k, Kind(k).label) for k in services.KINDS], "streets": streets, "max_content": MAX_CONTENT,
    }, status=status)


@require_http_methods(["GET", "POST"])
def submit(request):
    """诉求提交. Without JavaScript: 获取验证码 posts the whole form (nothing typed is lost) and comes back with the code
    sent; 提交 registers it and shows the 受理回执."""
    if request.method == "GET":
        return _form(request, {})
    values = {name: request.POST.get(name, "").strip() for name in FIELDS}
    address = ratelimit.client_address(request)
    if "send_code" in request.POST:
        errors, status, notice = _send_code(request, values["caller_phone"])
        return _form(request, values, errors=errors, notice=notice, status=status)
    if not ratelimit.hit(f"submit:ip:{address}", settings.JIESU_PORTAL_SUBMIT_LIMIT, 3600):
        return _form(request, values, errors={"form": "提交过于频繁，请稍后再试；如有急事请拨打12345。"}, status=429)
    data = {**values, "sms_code": request.POST.get("sms_code", "")}
    try:
        claim = idempotency.claim(request, "portal:web", values, key=submission_key(request))
        ticket, earlier = idempotency.once(claim, lambda: services.submit(
            data, mobile="Mobile" in request.headers.get("User-Agent", ""), photos=request.FILES.getlist("photos"),
            idempotency=claim))
        if earlier is not None:  # this form was filed already: its receipt again
            ticket = earlier.ticket
    except idempotency.KeyReused:  # filed, then changed and sent again: a new request needs a new form
        return _form(request, values, status=409, new_key=True, errors={
            "form": "这份表单已经提交过。如要反映另一个问题，请核对内容后再次提交（将登记为新的诉求）。"})
    except ServiceError as exc:
        return _form(request, values, errors=exc.fields or {"form": exc.message}, status=exc.status)
    request.session["portal_receipt"] = {"number": ticket.number, "code": ticket.query_code}
    return redirect("portal_done")


def done(request):
    """受理回执, once (after a redirect, so a reload does not submit again)."""
    receipt = request.session.pop("portal_receipt", None)
    if receipt is None:
        return redirect("portal_submit")
    return render(request, "portal/done.html", {"receipt": receipt})


def answers(request):
    """While the citizen types: published answers that may already settle it (htmx partial; nothing recorded)."""
    text = request.GET.get("content", "")[:500]
    hits = knowledge.search(text, limit=3) if len(text.strip()) >= 6 else []
    return render(request, "portal/_answers.html", {"hits": hits})


@require_POST
def deflected(request):
    """"问题已解决，无需提交": counted once per click (and per address, limited) for the KPI page."""
    from jiesu.knowledge.services import live_articles

    article = live_articles().filter(code=request.POST.get("article", "")[:20]).first()
    if article is None:
        raise Http404
    if ratelimit.hit(f"deflect:ip:{ratelimit.client_address(request)}", 20, 3600):
        Deflection.objects.create(article=article, created_at=clock.now())
    return render(request, "portal/deflected.html", {"article": article})


def letters(request):
    """公开信件: answered requests their submitters agreed to publish (masked), searchable, 20 a page."""
    if not settings.JIESU_PUBLIC_LETTERS:
        raise Http404
    query = request.GET.get("q", "").strip()[:100]
    try:
        page = max(1, min(int(request.GET.get("page", "1")), 10_000))
    except ValueError:
        page = 1
    found, total = services.letters(query, page=page)
    return render(request, "portal/letters.html", {
        "letters": found, "total": total, "q": query, "page": page,
        "next": page + 1 if page * 20 < total else None, "previous": page - 1 if page > 1 else None})
