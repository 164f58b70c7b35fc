"""考核指标 pages: the dashboard, the tickets behind any number, Excel exports. Thin: services do the work."""

from functools import wraps
from pathlib import Path

import plotly
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse
from django.shortcuts import render
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET

from jiesu.channels import wages
from jiesu.core import error_pages
from jiesu.core.errors import ServiceError
from jiesu.directory.models import Category, Department, Region
from jiesu.directory.permissions import has_perm
from jiesu.tickets import access
from jiesu.tickets.models import Channel, Kind, Ticket

from . import excel, services
from .definitions import COUNTS, RATES, config, target

PLOTLY_JS = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"


def _error(request, exc: ServiceError):
    if exc.status == 403:
        # The site's refusal page: its way on is the user's start page, never back to the page refused.
        return error_pages.permission_denied(request, exc)
    return render(request, "kpi/error.html", {"message": exc.message, "detail": exc.detail, "code": exc.code},
                  status=exc.status)


def kpi_view(view):
    """Signed-in GET pages whose bad parameters or missing rights become a clear 4xx page."""
    @login_required
    @require_GET
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except ServiceError as exc:
            return _error(request, exc)
    return wrapper


def _filters(request) -> services.Filters:
    return services.scoped(request.user, services.parse_filters(request.GET))


def _headline(filters, summary) -> list[dict]:
    rows = []
    for name, rate in RATES.items():
        value, goal = summary["rates"][name], target(name, filters.department)
        rows.append({
            "name": name, "label": rate.label, "value": value, "target": goal,
            "met": None if value is None or goal is None else value >= goal - 1e-9,
            "numerator": rate.numerator[0][0], "denominator": rate.denominator,
            # 满意率 adds k × 基本满意: show each part so the fraction reads true.
            "parts": [{"count": c, "label": COUNTS[c].label, "n": summary["counts"][c],
                       "weight": config()[w] if w else None} for c, w in rate.numerator],
        })
    return rows


@kpi_view
def dashboard(request):
    filters = _filters(request)
    summary = services.summary(filters)
    trend = services.trend(filters)
    category = services.breakdown(filters, "category")
    chart = {
        "trend": {
            "x": [row["start"].isoformat() for row in trend],
            "series": [{"name": RATES[n].label, "y": [row["rates"][n] for row in trend]}
                       for n in ("response", "resolution", "satisfaction")],
        },
        "category": {"x": [r["label"] for r in category], "y": [r["counts"]["dispatched"] for r in category]},
    }
    previous = services.previous_period(filters.start, filters.end, filters.period)
    return render(request, "kpi/dashboard.html", {
        "filters": filters,
        "query": filters.query_string(),
        "summary": summary,
        "headline": _headline(filters, summary),
        "score": summary["rates"]["score"],
        "ranking": services.ranking(filters),
        "categories": category,
        "channels": [r for r in services.breakdown(filters, "channel") if r["counts"]["dispatched"] or
                     r["counts"]["callbacks"]],
        "kinds": services.breakdown(filters, "kind"),
        "enterprise_rows": services.breakdown(filters, "enterprise"),
        "wages": wages.dashboard_line(request.user, filters.start, filters.end, filters.ids("department")),
        "regions": services.breakdown(filters, "region"),
        "routing": services.routing_quality(filters),
        "assists": services.assist_figures(filters),
        "redos": services.redo_figures(filters),
        "deflections": services.deflections(filters),
        "chart": chart,
        "periods": services.PERIODS,
        "previous": {"from": previous[0].isoformat(), "to": previous[1].isoformat()},
        "weights": config()["weights"],
        "basic_weight": config()["basic_satisfied_weight"],
        "options": {
            "departments": Department.objects.filter(active=True).exclude(kind=Department.Kind.HOTLINE_CENTER),
            "regions": Region.objects.all(),
            "categories": Category.objects.filter(active=True, level__lte=2).select_related("parent"),
            "channels": Channel.choices,
            "kinds": Kind.choices,
            "enterprise": list(services.ENTERPRISE.items()),
        },
    })


def _tickets(request, filters):
    count = request.GET.get("count", "")
    queryset = services.tickets_for(count, filters) & Ticket.objects.visible_to(request.user)
    return count, queryset.select_related("category__parent__parent", "department", "region").order_by(
        "-created_at", "-id")


@kpi_view
def tickets(request):
    filters = _filters(request)
    count, queryset = _tickets(request, filters)
    page = Paginator(queryset, 20).get_page(request.GET.get("page"))
    page.object_list = [access.shown(request.user, t) for t in page.object_list]
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "kpi/tickets.html", {
        "filters": filters, "count": COUNTS[count], "page": page, "tickets": page.object_list,
        "query": query.urlencode(), "dashboard_query": filters.query_string(),
        # 信访事项 count in the figures but are listed only for those who handle them (tickets.access)
        "petitions_hidden": filters.channel == Channel.PETITION and not has_perm(request.user, "petition.view_all"),
    })


def _describe(filters) -> str:
    parts = [f"{filters.start:%Y-%m-%d} 至 {filters.end:%Y-%m-%d}"]
    for name in ("department", "region", "category"):
        node = getattr(filters, name)
        if node is not None:
            parts.append(node.name)
    if filters.channel:
        parts.append(Channel(filters.channel).label)
    if filters.kind:
        parts.append(Kind(filters.kind).label)
    if filters.enterprise:
        parts.append(services.ENTERPRISE[filters.enterprise])
    return "，".join(parts)


@kpi_view
def export_ranking(request):
    filters = _filters(request)
    content = excel.ranking_workbook(services.ranking(filters), f"统计范围：{_describe(filters)}")
    return excel.xlsx_response(content, f"单位排名_{filters.start:%Y%m%d}-{filters.end:%Y%m%d}.xlsx")


@kpi_view
def export_tickets(request):
    filters = _filters(request)
    count, queryset = _tickets(request, filters)
    label = COUNTS[count].label
    shown = (access.shown(request.user, t) for t in queryset.iterator(chunk_size=2000))
    content = excel.tickets_workbook(shown, f"{label}，{_describe(filters)}")
    return excel.xlsx_response(content, f"{label}_{filters.start:%Y%m%d}-{filters.end:%Y%m%d}.xlsx")


@require_GET
@cache_control(public=True, max_age=86400)
def plotly_js(request):
    """Plotly's JavaScript from the installed Python package: charts work with no network and no CDN."""
    return FileResponse(PLOTLY_JS.open("rb"), content_type="text/javascript")
