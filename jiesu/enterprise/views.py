"""Pages of the enterprise app: the registry look-up beside 统一社会信用代码 on 来电登记 (htmx), and 政企直通车, the
enterprises' own pages under /qiye/ (their accounts only; thin: the rules are in accounts.py and direct.py)."""

import uuid
from functools import wraps
from urllib.parse import quote

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST

from jiesu.core import clock, idempotency, ratelimit
from jiesu.core.error_pages import error_response
from jiesu.core.errors import NotFound, PermissionDenied, ServiceError, ValidationFailed
from jiesu.directory.permissions import has_perm
from jiesu.portal.formkit import HUMAN_CHECK_FAILED, human_check, human_check_passed, submission_key
from jiesu.tickets.models import Satisfaction
from jiesu.tickets.services import MAX_CONTENT

from . import accounts, direct, evaluations, helpers, policies, services
from .models import Policy, Visit


@login_required
def lookup(request):
    """The enterprise behind the code being typed: what the registry knows, and its name filled in when the
    operator has not typed one (an out-of-band swap of the name field)."""
    typed = "".join(request.GET.get("credit_code", "").split())
    if len(typed) < 18 or not has_perm(request.user, "enterprise.view"):
        return HttpResponse("")
    context = {"name_typed": request.GET.get("enterprise_name", "").strip()}
    try:
        context["enterprise"] = services.find(request.user, typed)
    except NotFound:
        context["unknown"] = True
    except ServiceError as exc:
        context["invalid"] = exc.detail or exc.message
    return render(request, "enterprise/_lookup.html", context)


# ---------------------------------------------------------------- 政企直通车 (the enterprises' own pages, /qiye/)


def enterprise_required(view):
    """An enterprise account's page: anyone else goes to the enterprise login."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        contact = accounts.contact_of(request.user)
        if contact is None:
            return redirect(f"{reverse('qiye_login')}?next={quote(request.get_full_path())}")
        return view(request, contact, *args, **kwargs)

    return wrapped


@require_http_methods(["GET", "POST"])
def qiye_login(request):
    """企业登录: 统一社会信用代码 + 手机号 + 密码 (throttled like staff logins)."""
    values = {"credit_code": request.POST.get("credit_code", "").strip()[:30],
              "phone": request.POST.get("phone", "").strip()[:20]}
    error, status = "", 200
    if request.method == "POST":
        user = accounts.sign_in(request, values["credit_code"], values["phone"], request.POST.get("password", ""))
        if user is not None:
            login(request, user)
            target = request.POST.get("next", "")
            return redirect(target if url_has_allowed_host_and_scheme(target, {request.get_host()})
                            and target.startswith("/qiye/") else "qiye_home")
        error, status = "统一社会信用代码、手机号或密码不正确；首次使用请先开通账号。", 400
    return render(request, "enterprise/direct/login.html",
                  {"values": values, "error": error, "next": request.GET.get("next", request.POST.get("next", ""))},
                  status=status)


@require_POST
def qiye_logout(request):
    logout(request)
    return redirect("qiye_login")


@require_http_methods(["GET", "POST"])
def qiye_activate(request):
    """开通账号 / 找回密码: a registered contact's phone gets a code; with it, the contact sets a password."""
    values = {"credit_code": request.POST.get("credit_code", "").strip()[:30],
              "phone": request.POST.get("phone", "").strip()[:20]}
    context = {"values": values, "errors": {}, "notice": ""}
    status = 200
    if request.method == "POST" and "send_code" in request.POST:
        if not human_check_passed(request):
            context["errors"], status = dict(HUMAN_CHECK_FAILED), 400
        else:
            try:
                accounts.send_code(values["credit_code"], values["phone"], ratelimit.client_address(request))
                context["notice"] = "如该手机号是企业库登记的本企业联系人，验证码已发送，10 分钟内有效。"
            except ServiceError as exc:
                context["errors"], status = exc.fields or {"phone": exc.message}, exc.status
    elif request.method == "POST" and not ratelimit.hit(f"track:ip:{ratelimit.client_address(request)}",
                                                         settings.JIESU_TRACK_LIMITS[0], 3600):
        context["errors"], status = {"sms_code": "尝试过于频繁，请一小时后再试"}, 429
    elif request.method == "POST":
        try:
            if request.POST.get("password", "") != request.POST.get("password2", ""):
                raise ValidationFailed({"password2": "两次输入的密码不一致"})
            user = accounts.activate(values["credit_code"], values["phone"], request.POST.get("sms_code", ""),
                                     request.POST.get("password", ""))
        except ServiceError as exc:
            context["errors"], status = exc.fields or {"sms_code": exc.message}, exc.status
        else:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            return redirect("qiye_home")
    context["check"] = human_check(request)
    return render(request, "enterprise/direct/activate.html", context, status=status)


@enterprise_required
def qiye_home(request, contact):
    """The enterprise's requests and answers (the newest open), and a way to file one."""
    rows = direct.requests_of(contact.enterprise)
    return render(request, "enterprise/direct/home.html", {
        "contact": contact, "enterprise": contact.enterprise, "rows": [view for _, view in rows],
        "helpers": helpers.helpers_shown_to_enterprise(contact.enterprise),
        "invitations": evaluations.invitations(contact.enterprise),
        "notice": request.session.pop("qiye_notice", "")})


@enterprise_required
@require_http_methods(["GET", "POST"])
def qiye_submit(request, contact):
    """提交涉企诉求 (one form, one key: sent twice, it files once)."""
    values = {name: request.POST.get(name, "").strip() for name in ("kind", "category", "title", "content", "address")}
    errors, status = {}, 200
    if request.method == "POST":
        try:
            claim = idempotency.claim(request, f"qiye:{contact.pk}", values, key=submission_key(request))
            ticket, earlier = idempotency.once(claim, lambda: direct.file_request(contact, values, idempotency=claim))
            if earlier is not None:
                ticket = earlier.ticket
        except idempotency.KeyReused:
            errors, status = {"form": "这份表单已经提交过；如要反映另一个问题，请重新填写。"}, 409
        except ServiceError as exc:
            errors, status = exc.fields or {"form": exc.message}, exc.status
        else:
            request.session["qiye_notice"] = f"已受理，工单编号 {ticket.number}。承办单位答复后您会收到短信。"
            return redirect("qiye_request", number=ticket.number)
    return render(request, "enterprise/direct/submit.html", {
        "contact": contact, "enterprise": contact.enterprise, "values": values, "errors": errors,
        "kinds": [(k.value, k.label) for k in direct.KINDS], "categories": direct.categories(),
        "submission_key": (None if status == 409 else submission_key(request)) or uuid.uuid4().hex,
        "max_content": MAX_CONTENT}, status=status)


@enterprise_required
@require_http_methods(["GET", "POST"])
def qiye_request(request, contact, number):
    """One request: its timeline and answer, and 网上评价 while open."""
    enterprise = contact.enterprise
    error, status, notice = "", 200, request.session.pop("qiye_notice", "")
    if request.method == "POST":
        try:
            direct.rate(enterprise, number, request.POST)
            notice = "感谢您的评价！"
        except NotFound:
            raise Http404 from None
        except ServiceError as exc:
            error, status = ("请选择满意度和是否解决" if exc.fields else exc.message), exc.status
    try:
        found = direct.request_of(enterprise, number)
    except NotFound:
        raise Http404 from None
    return render(request, "enterprise/direct/request.html", {
        "contact": contact, "enterprise": enterprise, "found": found, "error": error, "notice": notice,
        "satisfactions": Satisfaction.choices}, status=status)


# ---------------------------------------------------------------- 帮办代办 (staff pages)


@login_required
def helping(request):
    """企业帮办: a 帮办员's enterprises; the centre finds any enterprise's 帮办台账 by name or code."""
    query = request.GET.get("q", "").strip()[:50]
    try:
        rows = helpers.helping(request.user, query)
    except ServiceError as exc:
        return render(request, "error.html", {"title": "无法打开", "status": exc.status, "message": exc.message},
                      status=exc.status)
    return render(request, "enterprise/helping.html", {
        "rows": rows, "q": query, "can_search": has_perm(request.user, "enterprise.view_ledgers")})


def _ledger_page(request, code, *, errors=None, status=200, values=None):
    try:
        found = helpers.ledger(request.user, code)
    except NotFound:
        raise Http404 from None
    except ServiceError as exc:
        return render(request, "error.html", {"title": "无法打开", "status": exc.status, "message": exc.message},
                      status=exc.status)
    return render(request, "enterprise/ledger.html", {
        "ledger": found, "e": found.enterprise, "errors": errors or {}, "values": values or {},
        "forms": Visit.Form.choices, "today": clock.today().isoformat(),
        "helper_choices": helpers.helper_choices() if found.can_assign else []}, status=status)


@login_required
def ledger(request, code):
    """帮办台账: what the enterprise asked, who handled it and how it ended; its 帮办员 and their visits."""
    return _ledger_page(request, code)


@login_required
@require_POST
def assign_helper(request, code):
    try:
        helpers.assign(request.user, code, request.POST.get("helper", ""), request.POST.get("number", ""))
    except NotFound:
        raise Http404 from None
    except ServiceError as exc:
        return _ledger_page(request, code, errors=exc.fields or {"assign": exc.message}, status=exc.status)
    messages.success(request, "已指派帮办员")
    return redirect("enterprise_ledger", code=code)


@login_required
@require_POST
def end_helper(request, code, pk):
    try:
        helpers.end(request.user, pk)
    except ServiceError as exc:
        return _ledger_page(request, code, errors={"assign": exc.message}, status=exc.status)
    messages.success(request, "已结束帮办")
    return redirect("enterprise_ledger", code=code)


@login_required
@require_POST
def log_visit(request, code):
    values = {k: request.POST.get(k, "").strip() for k in ("visited_on", "form", "note", "number")}
    try:
        helpers.log_visit(request.user, code, values)
    except NotFound:
        raise Http404 from None
    except ServiceError as exc:
        return _ledger_page(request, code, errors=exc.fields or {"visit": exc.message}, status=exc.status,
                            values=values)
    messages.success(request, "走访记录已保存")
    return redirect("enterprise_ledger", code=code)


# ---------------------------------------------------------------- 涉企政策 (staff pages, and the enterprise's)


def _policy_perm(request, perm="policy.view"):
    if not has_perm(request.user, perm):
        raise Http404


@login_required
def policy_list(request):
    _policy_perm(request)
    status = request.GET.get("status", "")
    rows = policies.visible(request.user).select_related("department").order_by("-updated_at")
    if status in Policy.Status.values:
        rows = rows.filter(status=status)
    return render(request, "enterprise/policies/list.html", {
        "rows": rows[:200], "status": status, "statuses": Policy.Status.choices,
        "can_edit": has_perm(request.user, "policy.edit")})


def _policy_form(request, policy=None, *, errors=None, values=None, status=200):
    from jiesu.directory.models import Department, Region

    from . import industry as industries
    from .models import Qualification, Scale

    if values is None:
        values = {} if policy is None else {
            **{f: getattr(policy, f) or "" for f in (*policies.TEXT_FIELDS, "benefit_form")},
            **{f: getattr(policy, f).isoformat() if getattr(policy, f) else ""
               for f in ("valid_from", "valid_until", "founded_after", "founded_before")},
            "benefit_amount": policy.benefit_amount if policy.benefit_amount is not None else "",
            "min_employees": "" if policy.min_employees is None else policy.min_employees,
            "max_employees": "" if policy.max_employees is None else policy.max_employees,
            "automatic": policy.automatic, "industries": policy.industries, "scales": policy.scales,
            "regions": [r.code for r in policy.regions.all()],
            "qualifications": [q.code for q in policy.qualifications.all()]}
    return render(request, "enterprise/policies/form.html", {
        "policy": policy, "values": values, "errors": errors or {}, "forms": Policy.Form.choices,
        "sections": [(s, n, [(d, industries.DIVISIONS[d]) for d in industries.DIVISIONS
                             if industries.section_of(d) == s]) for s, n in industries.SECTIONS.items()],
        "scales": Scale.choices, "regions": Region.objects.filter(level__lte=2).order_by("code"),
        "qualifications": Qualification.objects.all(),
        "departments": (Department.objects.filter(active=True).order_by("code")
                        if policy is None and has_perm(request.user, "policy.review") else [])}, status=status)


def _form_values(post) -> dict:
    values = {k: post.get(k, "") for k in post}
    for name in ("industries", "scales", "regions", "qualifications"):
        values[name] = post.getlist(name)
    return values


@login_required
@require_http_methods(["GET", "POST"])
def policy_edit(request, code=""):
    """新建 / 修改政策 (the issuing department's 承办人, or the centre)."""
    _policy_perm(request, "policy.edit")
    policy = Policy.objects.filter(code=code).first() if code else None
    if code and policy is None:
        raise Http404
    if policy is not None and not policies.may_edit(request.user, policy, None):
        return render(request, "error.html", {"title": "无法修改", "status": 403,
                                              "message": "只有发文单位和热线中心可以修改这项政策"}, status=403)
    if request.method == "GET":
        return _policy_form(request, policy)
    try:
        saved = policies.save(request.user, request.POST, code)
    except ServiceError as exc:
        return _policy_form(request, policy, errors=exc.fields or {"form": exc.message},
                            values=_form_values(request.POST), status=exc.status)
    messages.success(request, "政策已保存" + ("，修改后须重新审核" if code and saved.status == "pending" else ""))
    return redirect("policy_detail", code=saved.code)


@login_required
def policy_detail(request, code):
    _policy_perm(request)
    policy = policies.visible(request.user).select_related("department", "reviewed_by").filter(code=code).first()
    if policy is None:
        raise Http404
    pushes = (policy.pushes.select_related("enterprise").order_by("-pushed_at", "enterprise__name")[:200])
    return render(request, "enterprise/policies/detail.html", {
        "policy": policy, "conditions": policies.describe(policy), "figures": policies.figures(policy),
        "matching": policies.matching_enterprises(policy).order_by("name")[:20], "pushes": pushes,
        "live": policies.live().filter(pk=policy.pk).exists(),
        "can_edit": policies.may_edit(request.user, policy, None),
        "can_review": has_perm(request.user, "policy.review")})


@login_required
@require_POST
def policy_action(request, code, action):
    """提交审核 / 发布 / 退回 / 撤回 / 推送 / 登记兑现."""
    _policy_perm(request)
    try:
        match action:
            case "submit":
                policies.submit(request.user, code)
                messages.success(request, "已提交审核")
            case "approve" | "reject":
                policies.review(request.user, code, approve=action == "approve", note=request.POST.get("note", ""))
                messages.success(request, "已发布" if action == "approve" else "已退回")
            case "withdraw":
                policies.withdraw(request.user, code)
                messages.success(request, "已撤回")
            case "push":
                n = policies.push(request.user, code)
                messages.success(request, f"已推送至 {n} 家新匹配的企业" if n else "没有新匹配的企业，未重复推送")
            case "granted":
                policies.granted(request.user, code, request.POST.get("credit_code", ""))
                messages.success(request, "已登记兑现")
            case _:
                raise Http404
    except NotFound:
        raise Http404 from None
    except ServiceError as exc:
        messages.error(request, exc.message if not exc.fields else "；".join(exc.fields.values()))
    return redirect("policy_detail", code=code)


@enterprise_required
def qiye_policies(request, contact):
    """政策: the live policies this enterprise meets (免申即享 marked, pushed ones with their progress), and
    政策问答."""
    enterprise = contact.enterprise
    question = request.GET.get("q", "").strip()[:100]
    pushes = {p.policy_id: p for p in enterprise.policy_pushes.all()}
    return render(request, "enterprise/direct/policies.html", {
        "contact": contact, "enterprise": enterprise, "q": question,
        "answers": policies.ask(question) if question else [],
        "rows": [(p, pushes.get(p.pk)) for p in policies.eligible(enterprise)]})


@enterprise_required
@require_http_methods(["GET", "POST"])
def qiye_policy(request, contact, code):
    enterprise = contact.enterprise
    notice, error, status = "", "", 200
    if request.method == "POST":
        try:
            policies.applied(enterprise, code)
            notice = "已记录您的申报，发文单位将跟进兑现。"
        except NotFound:
            raise Http404 from None
        except ServiceError as exc:
            error, status = exc.message, exc.status
    try:
        policy, record = policies.opened(enterprise, code)
    except NotFound:
        raise Http404 from None
    return render(request, "enterprise/direct/policy.html", {
        "contact": contact, "enterprise": enterprise, "policy": policy, "record": record,
        "eligible": policy in policies.eligible(enterprise), "notice": notice, "error": error}, status=status)


# ---------------------------------------------------------------- 百企评机关

def _evaluation_form(request, evaluation=None, *, errors=None, values=None, status=200):
    from . import industry as industries
    from .models import Evaluation, Scale

    if values is None:
        values = {"sampling": "all"} if evaluation is None else {
            "title": evaluation.title, "period_start": evaluation.period_start.isoformat(),
            "period_end": evaluation.period_end.isoformat(), "closes_on": evaluation.closes_on.isoformat(),
            "agencies": [a.code for a in evaluation.agencies.all()], "industries": evaluation.industries,
            "scales": evaluation.scales, "sampling": evaluation.sampling,
            "sample_size": evaluation.sample_size or ""}
    return render(request, "enterprise/evaluations/form.html", {
        "evaluation": evaluation, "values": values, "errors": errors or {},
        "agencies": evaluations.agency_choices(), "sections": list(industries.SECTIONS.items()),
        "scales": Scale.choices, "samplings": Evaluation.Sampling.choices}, status=status)


@login_required
def evaluation_list(request):
    try:
        rows = evaluations.visible(request.user).prefetch_related("agencies")
    except ServiceError as exc:
        return error_response(request, exc.status, exc)
    can_manage = evaluations.may_manage(request.user)
    if not can_manage:
        rows = rows.exclude(status=evaluations.S.DRAFT)  # drafts are the organisers' own
    return render(request, "enterprise/evaluations/list.html", {
        "rows": rows[:100], "can_manage": can_manage, "view_all": evaluations.may_view_all(request.user)})


@login_required
@require_http_methods(["GET", "POST"])
def evaluation_edit(request, pk=None):
    """新建 / 修改评议 (drafts only, by the centre)."""
    if not evaluations.may_manage(request.user):
        return error_response(request, 403, PermissionDenied("您无权组织百企评机关"))
    evaluation = None
    if pk is not None:
        try:
            evaluation = evaluations.get_for(request.user, pk)
        except NotFound:
            raise Http404 from None
        if evaluation.status != evaluation.Status.DRAFT:
            messages.error(request, "评议已发布，不能再修改")
            return redirect("evaluation_detail", pk=pk)
    if request.method == "GET":
        return _evaluation_form(request, evaluation)
    try:
        saved = evaluations.save(request.user, request.POST, pk)
    except ServiceError as exc:
        values = {k: request.POST.get(k, "") for k in request.POST}
        for name in ("agencies", "industries", "scales"):
            values[name] = request.POST.getlist(name)
        return _evaluation_form(request, evaluation, errors=exc.fields or {"form": exc.message}, values=values,
                                status=exc.status)
    messages.success(request, "评议已保存")
    return redirect("evaluation_detail", pk=saved.pk)


@login_required
def evaluation_detail(request, pk):
    try:
        evaluation = evaluations.get_for(request.user, pk)
        found, own = evaluations.results_for(request.user, evaluation)
    except NotFound:
        raise Http404 from None
    except ServiceError as exc:
        return error_response(request, exc.status, exc)
    draft = evaluation.status == evaluation.Status.DRAFT
    if draft and not evaluations.may_manage(request.user):
        raise Http404
    from . import industry as industries
    from .models import Scale

    return render(request, "enterprise/evaluations/detail.html", {
        "sections": [f"{s} {industries.SECTIONS[s]}" for s in evaluation.industries if s in industries.SECTIONS],
        "scale_names": [dict(Scale.choices)[s] for s in evaluation.scales if s in Scale.values],
        "past_closing": evaluation.status == evaluation.Status.OPEN and evaluation.closes_on < clock.today(),
        "view_all": evaluations.may_view_all(request.user),
        "evaluation": evaluation, "results": found, "own": own, "dimensions": evaluations.DIMENSIONS,
        "min_shown": evaluations.min_shown(), "can_manage": evaluations.may_manage(request.user),
        "pool": evaluations.pool(evaluation).count() if draft and own is None else None,
        "agencies": evaluation.agencies.order_by("code")})


@login_required
@require_POST
def evaluation_action(request, pk, action):
    """发布 / 结束."""
    try:
        match action:
            case "open":
                n = evaluations.open_campaign(request.user, pk)
                messages.success(request, f"已发布，邀请 {n} 家企业参评，已向其联系人发送短信")
            case "close":
                evaluations.close_campaign(request.user, pk)
                messages.success(request, "评议已结束，结果已定稿；被评议单位可查看本单位结果")
            case _:
                raise Http404
    except NotFound:
        raise Http404 from None
    except ServiceError as exc:
        if exc.status == 403:
            return error_response(request, exc.status, exc)
        messages.error(request, exc.message)
    return redirect("evaluation_detail", pk=pk)


@login_required
def evaluation_export(request, pk):
    """The result as a workbook: the ranking, the comments (without who wrote them) and the response."""
    from jiesu.kpi.excel import xlsx_response

    try:
        evaluation = evaluations.get_for(request.user, pk)
    except NotFound:
        raise Http404 from None
    except ServiceError as exc:
        return error_response(request, exc.status, exc)
    if not evaluations.may_view_all(request.user):
        return error_response(request, 403, PermissionDenied("只有热线中心可以导出全部结果"))
    if evaluation.status != evaluation.Status.CLOSED:
        messages.error(request, "评议结束后才能导出结果")
        return redirect("evaluation_detail", pk=pk)
    content = evaluations.workbook(evaluations.results(evaluation))
    return xlsx_response(content, f"百企评机关_{evaluation.title}_{evaluation.pk}.xlsx")


@enterprise_required
@require_http_methods(["GET", "POST"])
def qiye_evaluation(request, contact, pk):
    """百企评机关: the invited enterprise rates the agencies it dealt with, once, anonymously."""
    enterprise = contact.enterprise
    errors, status = {}, 200
    if request.method == "POST":
        try:
            n = evaluations.rate(enterprise, pk, request.POST)
        except NotFound:
            raise Http404 from None
        except ServiceError as exc:
            errors, status = exc.fields or {"form": exc.message}, exc.status
        else:
            request.session["qiye_notice"] = f"感谢贵企业参与评价，已提交对 {n} 个单位的评价。评价以匿名方式统计。"
            return redirect("qiye_home")
    try:
        invite, rows = evaluations.form_for(enterprise, pk, request.POST if errors else None, errors)
    except NotFound:
        raise Http404 from None
    return render(request, "enterprise/direct/evaluation.html", {
        "contact": contact, "enterprise": enterprise, "invite": invite, "evaluation": invite.evaluation,
        "rows": rows, "errors": errors, "dimensions": evaluations.DIMENSIONS,
        "scores": [(s, evaluations.SCORE_LABELS[s]) for s in reversed(evaluations.SCORES)],
        "answering": evaluations.answering(invite.evaluation), "max_comment": evaluations.MAX_COMMENT},
        status=status)
