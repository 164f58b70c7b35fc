"""Knowledge pages: the intake panel (answers beside the form), search, an article with its versions and the
drafting and review actions, and the list of questions that found nothing. Thin: services do the work."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from jiesu.core.errors import NotFound, ServiceError
from jiesu.directory.models import Region
from jiesu.directory.permissions import department_of, has_perm

from . import services
from .models import Article


def _can_read(user) -> None:
    if not has_perm(user, "knowledge.search"):
        raise Http404


@login_required
@require_GET
def suggest(request):
    """来电登记: articles that answer what the operator is typing (htmx, debounced)."""
    _can_read(request.user)
    text = " ".join(request.GET.get(k, "") for k in ("title", "content")).strip()[:500]
    region = Region.objects.filter(code=request.GET.get("region", "")).first()
    hits = services.search(text, region=region, limit=3, actor=request.user) if len(text) >= 4 else []
    return render(request, "knowledge/_suggestions.html", {
        "asked": len(text) >= 4, "hits": hits, "can_instant_close": has_perm(request.user, "ticket.instant_close"),
    })


@login_required
@require_GET
def index(request):
    _can_read(request.user)
    query = request.GET.get("q", "").strip()
    hits = services.search(query, actor=request.user, limit=10, record_miss=True) if query else []
    department = department_of(request.user)
    return render(request, "knowledge/index.html", {
        "query": query, "hits": hits,
        "articles": services.live_articles().select_related("owner")[:200] if not query else [],
        "misses": services.misses(actor=request.user, limit=20) if services.can_see_misses(request.user) else [],
        "expiring": services.expiring(department) if department else [],
        "review_queue": Article.objects.filter(versions__status="submitted").distinct()
        if has_perm(request.user, "knowledge.review") else [],
        "can_write": has_perm(request.user, "knowledge.edit"),
    })


@login_required
def article(request, code):
    _can_read(request.user)
    article, versions = None, []
    if code != "new":
        try:
            article, versions = services.readable(request.user, code)
        except NotFound:
            raise Http404 from None
    values = {}
    if request.method == "POST":
        values = request.POST.dict()
        try:
            version = services.save_draft(actor=request.user, code="" if article is None else code, data=values,
                                          owner=values.get("owner", ""))
        except ServiceError as exc:
            messages.error(request, exc.full_message())
        else:
            messages.success(request, f"草稿已保存：{version.article.code} 第 {version.number} 版")
            return redirect("knowledge_article", code=version.article.code)
    latest = versions[0] if versions else None  # newest first
    draft = latest if latest and latest.status in ("draft", "rejected") else None
    source = draft or latest
    if not values and source is not None:
        values = {"title": source.title, "questions": "\n".join(source.questions), "answer": source.answer,
                  "basis": source.basis, "tags": source.tags, "valid_from": source.valid_from or "",
                  "valid_until": source.valid_until or ""}
    return render(request, "knowledge/article.html", {
        "article": article, "latest": latest, "values": values,
        "versions": versions,
        "can_edit": services.can_edit(request.user, article, department_of(request.user)),
        "can_review": has_perm(request.user, "knowledge.review"),
    })


@login_required
@require_POST
def act(request, code, action):
    try:
        if action == "submit":
            services.submit(actor=request.user, code=code)
            messages.success(request, "已提交审核")
        elif action in ("approve", "reject"):
            services.review(actor=request.user, code=code, approve=action == "approve",
                            note=request.POST.get("note", ""))
            messages.success(request, "已发布" if action == "approve" else "已退回修改")
        elif action == "withdraw":
            services.withdraw(actor=request.user, code=code)
            messages.success(request, "已撤回")
        else:
            raise Http404
    except ServiceError as exc:
        messages.error(request, exc.full_message())
    return redirect("knowledge_article", code=code)
