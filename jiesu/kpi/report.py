"""The monthly 通报: rankings, the ten weakest units, top categories, and changes against the previous month,
as an Excel workbook and an HTML page with the same content."""

from dataclasses import dataclass
from datetime import date

from django.template.loader import render_to_string
from openpyxl import Workbook

from . import excel, services
from .definitions import RATES

WEAKEST = 10
TOP_CATEGORIES = 10


@dataclass
class MonthlyReport:
    month: date
    filters: services.Filters
    summary: dict
    previous_summary: dict
    ranking: list[dict]
    weakest: list[dict]
    categories: list[dict]
    enterprise: list[dict]  # 涉企诉求 and the others, side by side
    enterprise_units: list[dict]  # the units' ranking on 涉企诉求 alone (units that had some)

    @property
    def title(self) -> str:
        return f"{self.month.year}年{self.month.month}月 12345热线接诉即办考核通报"

    def changes(self) -> list[dict]:
        rows = []
        for name, rate in [*RATES.items(), ("score", None)]:
            now, before = self.summary["rates"][name], self.previous_summary["rates"][name]
            delta = None if now is None or before is None else now - before
            rows.append({"name": name, "label": rate.label if rate else "综合得分", "value": now, "previous": before,
                         "delta": delta, "is_score": rate is None})
        return rows


def build(month: date) -> MonthlyReport:
    filters = services.Filters(*services.period_bounds("month", month), period="month")
    previous = services.Filters(*services.previous_period(filters.start, filters.end, "month"), period="month")
    ranking = services.ranking(filters)
    previous_rank = {row["member"].pk: row for row in services.ranking(previous)}
    for row in ranking:
        before = previous_rank.get(row["member"].pk)
        row["previous_rank"] = before["rank"] if before else None
        row["previous_score"] = before["rates"]["score"] if before else None
    scored = [row for row in ranking if row["rank"] is not None]
    categories = sorted(
        (row for row in _second_level_categories(filters) if row["counts"]["dispatched"]),
        key=lambda row: -row["counts"]["dispatched"],
    )[:TOP_CATEGORIES]
    return MonthlyReport(
        month=filters.start, filters=filters, summary=services.summary(filters),
        previous_summary=services.summary(previous), ranking=ranking, weakest=list(reversed(scored[-WEAKEST:])),
        categories=categories, enterprise=services.breakdown(filters, "enterprise"),
        enterprise_units=[row for row in services.ranking(filters.with_(enterprise="yes"))
                          if row["counts"]["dispatched"] or row["counts"]["callbacks"]],
    )


def _second_level_categories(filters):
    # Second-level categories name the problem (路灯不亮 rather than 城市管理): one breakdown per top level.
    rows = []
    for top in services.breakdown(filters, "category"):
        rows.extend(services.breakdown(top["filters"], "category"))
    return rows


def workbook(report: MonthlyReport) -> bytes:
    book = Workbook()
    ws = book.active
    ws.title = "总体指标"
    excel.sheet(ws, ["指标", "本月", "上月", "变化（百分点）"], [
        [c["label"], c["value"], c["previous"], None if c["delta"] is None else c["delta"] * (1 if c["is_score"] else 100)]
        for c in report.changes()
    ], {1: excel.PERCENT, 2: excel.PERCENT, 3: "+0.0;-0.0;0.0"}, widths={0: 16})
    for row in ws.iter_rows(min_row=2):
        if row[0].value == "综合得分":
            row[1].number_format = row[2].number_format = "0.00"
    headers, body, formats = excel.ranking_rows(report.ranking)
    excel.sheet(book.create_sheet("单位排名"), [*headers, "上月排名"],
                 [[*line, row.get("previous_rank")] for line, row in zip(body, report.ranking, strict=True)],
                 formats, widths={1: 30})
    headers, body, formats = excel.ranking_rows(report.weakest)
    excel.sheet(book.create_sheet(f"后{WEAKEST}名"), headers, body, formats, widths={1: 30})
    excel.sheet(book.create_sheet("诉求热点分类"), ["诉求分类", "派单量", "解决率", "满意率"], [
        [row["member"].path_name, row["counts"]["dispatched"], row["rates"]["resolution"], row["rates"]["satisfaction"]]
        for row in report.categories
    ], {2: excel.PERCENT, 3: excel.PERCENT}, widths={0: 36})
    headers, body, formats = excel.ranking_rows(report.enterprise + report.enterprise_units)
    headers[1] = "涉企诉求 / 承办单位"
    excel.sheet(book.create_sheet("涉企诉求"), headers, body, formats, widths={1: 30})
    return excel.save(book)


def html(report: MonthlyReport) -> str:
    return render_to_string("kpi/report.html", {"report": report, "changes": report.changes()})
