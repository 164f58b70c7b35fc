"""Excel (openpyxl) as offices exchange it. Exports: Chinese headers, percentages as percentages, header row frozen.
Imports: `read_rows`, one checked table of text per upload."""

from io import BytesIO
from urllib.parse import quote

from django.http import HttpResponse
from django.utils import timezone
from openpyxl import Workbook, load_workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from jiesu.core.errors import ValidationFailed

from .definitions import RATES

PERCENT = "0.0%"
RATE_COLUMNS = [(name, rate.label) for name, rate in RATES.items()]


def _cell(value):
    """Text as a workbook can hold it: control characters (which people paste from other systems) are dropped
    rather than breaking the export."""
    return ILLEGAL_CHARACTERS_RE.sub("", value) if isinstance(value, str) else value


def sheet(ws, headers: list[str], rows: list[list], formats: dict[int, str] | None = None, widths=None) -> None:
    ws.append(headers)
    for cell in ws[1]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DDE6F0")
        cell.alignment = Alignment(horizontal="center", vertical="center")
    for row in rows:
        ws.append([_cell(v) for v in row])
    for index, fmt in (formats or {}).items():
        for (cell,) in ws.iter_rows(min_row=2, min_col=index + 1, max_col=index + 1):
            cell.number_format = fmt
    for index, header in enumerate(headers, start=1):
        width = (widths or {}).get(index - 1) or max(10, len(header) * 2 + 2)
        ws.column_dimensions[get_column_letter(index)].width = width
    ws.freeze_panes = "A2"


def ranking_rows(rows: list[dict]) -> tuple[list[str], list[list], dict[int, str]]:
    headers = ["排名", "承办单位", "派单量", *[label for _, label in RATE_COLUMNS], "综合得分", "有效回访", "办结量"]
    body = [
        [r.get("rank"), r["label"], r["counts"]["dispatched"], *[r["rates"][name] for name, _ in RATE_COLUMNS],
         round(r["rates"]["score"], 2) if r["rates"]["score"] is not None else None,
         r["counts"]["callbacks_valid"], r["counts"]["closed"]]
        for r in rows
    ]
    formats = {3 + i: PERCENT for i in range(len(RATE_COLUMNS))}
    formats[3 + len(RATE_COLUMNS)] = "0.00"
    return headers, body, formats


# A cell that starts like this is run as a formula by spreadsheet programs (=HYPERLINK(...), =cmd|...): titles,
# contents and answers come from citizens and partners.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")


def neutralise(workbook: Workbook) -> None:
    """Every text cell stays text: typed as a string and marked with Excel's quote prefix, never a formula."""
    for ws in workbook.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if isinstance(cell.value, str) and (cell.data_type == "f" or cell.value.startswith(FORMULA_STARTS)):
                    cell.data_type = "s"
                    cell.quotePrefix = True


def save(workbook: Workbook) -> bytes:
    """The workbook as .xlsx bytes: every export goes through here, so none carries a live formula."""
    neutralise(workbook)
    buffer = BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def ranking_workbook(rows: list[dict], title: str) -> bytes:
    workbook = Workbook()
    ws = workbook.active
    ws.title = "单位排名"
    headers, body, formats = ranking_rows(rows)
    sheet(ws, headers, body, formats, widths={1: 30})
    ws.append([])
    ws.append([title])
    return save(workbook)


def _local(value):
    # Excel has no time zones: write local (Beijing) time without an offset.
    return timezone.localtime(value).replace(tzinfo=None) if value else None


def tickets_workbook(tickets, title: str) -> bytes:
    workbook = Workbook(write_only=False)
    ws = workbook.active
    ws.title = "工单明细"
    headers = ["工单编号", "标题", "来源渠道", "诉求类型", "诉求分类", "承办单位", "区划", "状态", "登记时间", "派单时间",
               "签收时间", "首次联系时间", "答复期限", "答复时间", "回访时间", "回访情况", "满意度", "是否解决"]
    rows = []
    for t in tickets:
        rows.append([
            t.number, t.title, t.get_channel_display(), t.get_kind_display(),
            t.category.path_name if t.category else "", t.department.name if t.department else "",
            t.region.name if t.region else "", t.get_state_display(), _local(t.created_at), _local(t.dispatched_at),
            _local(t.signed_at), _local(t.contacted_at), _local(t.reply_due_at), _local(t.replied_at),
            _local(t.callback_at), t.get_callback_status_display(), t.get_satisfaction_display(),
            {True: "是", False: "否", None: ""}[t.resolved],
        ])
    date_columns = {i: "yyyy-mm-dd hh:mm" for i in range(8, 15)}
    sheet(ws, headers, rows, date_columns, widths={0: 16, 1: 40, 4: 30, 5: 24, **{i: 17 for i in range(8, 15)}})
    ws.append([])
    ws.append([title])
    return save(workbook)


def xlsx_response(content: bytes, filename: str) -> HttpResponse:
    """An .xlsx download with a Chinese file name."""
    response = HttpResponse(content, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}"
    return response


def cell_text(value) -> str:
    """A cell as text: dates in ISO form, nothing as ""."""
    return "" if value is None else (value.isoformat() if hasattr(value, "isoformat") else str(value)).strip()


def read_rows(content: bytes, columns: list[str], *, max_rows: int, unit: str = "条") -> list[tuple[int, dict]]:
    """An uploaded .xlsx's first sheet as (its row number, {header: text}) for each row that is not blank. Refused
    (on `file`) when it is no workbook, its headers are not `columns`, or it has more than `max_rows` rows."""
    try:
        ws = load_workbook(BytesIO(content), read_only=True, data_only=True).active
        rows = list(ws.iter_rows(values_only=True))
    except Exception:  # openpyxl raises many kinds for a file that is not a workbook
        raise ValidationFailed({"file": "无法读取：请上传 .xlsx 格式的 Excel 文件"}) from None
    if not rows or [cell_text(c) for c in rows[0][:len(columns)]] != columns:
        raise ValidationFailed({"file": "表头应为：" + "、".join(columns)})
    body = [(number, [cell_text(c) for c in row]) for number, row in enumerate(rows[1:], start=2)]
    body = [(number, dict(zip(columns, cells + [""] * len(columns), strict=False))) for number, cells in body
            if any(cells)]
    if len(body) > max_rows:
        raise ValidationFailed({"file": f"一次最多导入 {max_rows} {unit}"})
    return body
