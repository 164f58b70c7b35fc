"""Hotspot pages: the ranked list with drill-down and Excel, 每月一题 candidates and governance items, and the
similar-request panel of the intake form. Thin: services do the work and the permission checks."""


from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST
from openpyxl import Workbook

from jiesu.core.errors import ServiceError
from jiesu.directory.models import Department
from jiesu.directory.permissions import has_perm
from jiesu.kpi.excel import save, sheet, xlsx_response
from jiesu.tickets import access
from jiesu.tickets.models import Ticket

from . import services
from .models import GovernanceItem, Hotspot, HotspotRun


def _can_view(user) -> None:
    if not has_perm(user, "hotspots.view"):
        raise Http404


def _then_back(request, action, success) -> object:
    """Run a service action from a form, say how it went, and return to the hotspot page."""
    try:
        result = action()
    except ServiceError as exc:
        messages.error(request, exc.full_message())
    else:
        messages.success(request, success(result))
    return redirect("hotspots")


@login_required
@require_GET
def page(request):
    _can_view(request.user)
    trailing, monthly = services.latest(HotspotRun.Kind.TRAILING), services.latest(HotspotRun.Kind.MONTHLY)
    return render(request, "hotspots/page.html", {
        "trailing": trailing,
        "hotspots": trailing.hotspots.all() if trailing else [],
        "monthly": monthly,
        "candidates": monthly.hotspots.all()[:10] if monthly else [],
        "items": GovernanceItem.objects.select_related("owner").all()[:50],
        "can_adopt": has_perm(request.user, "hotspots.adopt"),
        "departments": Department.objects.filter(active=True).exclude(kind=Department.Kind.HOTLINE_CENTER),
    })


@login_required
@require_POST
def detect_now(request):
    return _then_back(request, lambda: services.detect_now(request.user),
                      lambda runs: f"已重新检测：近期热点 {runs[0].hotspots.count()} 个，"
                                   f"每月一题候选 {runs[1].hotspots.count()} 个")


@login_required
@require_GET
def hotspot_detail(request, hotspot_id):
    _can_view(request.user)
    hotspot = get_object_or_404(Hotspot.objects.select_related("run"), pk=hotspot_id)
    tickets = Ticket.objects.visible_to(request.user).filter(pk__in=hotspot.tickets.values("pk"))
    tickets = [access.shown(request.user, t) for t in tickets.select_related("region", "department", "category")
               .order_by("-created_at")]
    return render(request, "hotspots/detail.html", {"hotspot": hotspot, "tickets": tickets})


@login_required
@require_GET
def export(request, run_id):
    _can_view(request.user)
    run = get_object_or_404(HotspotRun, pk=run_id)
    book = Workbook()
    ws = book.active
    ws.title = "热点排行"
    rows = [
        [h.rank, h.topic, h.count, h.baseline, h.growth, h.support, h.heat, "、".join(h.regions),
         timezone.localtime(h.first_seen).replace(tzinfo=None), timezone.localtime(h.last_seen).replace(tzinfo=None),
         "、".join(h.representatives)]
        for h in run.hotspots.all()
    ]
    sheet(ws, ["排名", "热点", "件数", "对比期件数", "增长", "点赞", "热度", "涉及区划", "首次出现", "最近出现",
               "代表性工单"], rows, {4: "0%", 6: "0.0", 8: "yyyy-mm-dd hh:mm", 9: "yyyy-mm-dd hh:mm"},
          {1: 40, 7: 24, 8: 18, 9: 18, 10: 48})
    return xlsx_response(save(book), f"热点排行_{run.start:%Y%m%d}-{run.end:%Y%m%d}.xlsx")


@login_required
@require_POST
def adopt(request, hotspot_id):
    post = request.POST
    return _then_back(
        request,
        lambda: services.adopt(request.user, hotspot_id, owner=post.get("owner", ""), due_date=post.get("due_date", ""),
                               title=post.get("title", ""), description=post.get("description", "")),
        lambda item: f"已立为治理事项：{item.title}（牵头单位：{item.owner.name}，{item.due_date:%Y-%m-%d} 前完成）",
    )


@login_required
@require_POST
def finish(request, item_id):
    return _then_back(request, lambda: services.finish(request.user, item_id),
                      lambda item: f"治理事项已完成：{item.title}")


@login_required
@require_GET
def similar(request):
    """The intake form's panel: open or recent requests like the one being typed (htmx, debounced)."""
    if not (has_perm(request.user, "ticket.create") or has_perm(request.user, "ticket.dispatch")):
        raise Http404
    get = request.GET
    text = "\n".join(get.get(k, "") for k in ("title", "content", "address"))[:10_000]
    found = []
    if len(text.strip()) >= 6:
        place = services.place_from_codes(region=get.get("region", ""), category=get.get("category", ""),
                                          lat=get.get("lat"), lng=get.get("lng"), phone=get.get("caller_phone", ""))
        found = services.find_for_text(text, place, user=request.user)
    return render(request, "hotspots/_matches.html", {
        "matches": found, "flag": settings.JIESU_DUPLICATE_FLAG, "show_empty": bool(text.strip()),
    })
