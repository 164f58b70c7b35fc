"""欠薪线索 on the ticket core (docs/channels.md): "欠薪平台线索办结率达到100%".

A ticket whose category is marked 欠薪线索 (`Category.wage_arrears`, on it or a category above) is a wage-arrears
clue unless it is a 咨询. Beside the ticket, a `WageClue` keeps what the case needs: the employer (with its
统一社会信用代码 when known), the project, the amount owed to how many workers for which months; before the unit
answers, what it recovered for how many of them. The flow's rules, on the lifecycle seam:

- the 来电登记 (and any staff registration) of a clue carries its 欠薪信息 (`created`: refused by field otherwise,
  nothing written); a clue that came without it (a citizen's web request, a ticket moved into the category) is
  completed on the ticket page (`record`);
- 答复 (or 提交答复审核) needs the unit's 处理结果 — 追回金额, 已结清人数, 处理情况 (`settle`; `before_move`);
- the stricter 回访: a clue is called back to the worker; "未接通" does not close it while its 回访 time runs
  (`moved`), and the time-limit rule 欠薪线索 (5 working days to answer, 1 to call back) applies by category.

`figures` and `ledger_workbook` are the dashboard line and the 台账: 线索数, 办结率 (goal 100 %), 追回金额.
"""

import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from jiesu.core import clock
from jiesu.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from jiesu.core.validators import is_storable_text, is_valid_credit_code
from jiesu.directory.permissions import department_of, has_perm
from jiesu.directory.snapshot import directory
from jiesu.tickets import access
from jiesu.tickets.models import CallbackStatus, Kind, Ticket
from jiesu.tickets.workflow import NOT_COUNTED, TRANSITIONS, Action, State

from .models import WageClue

FIELDS = ("wage_employer", "wage_credit_code", "wage_project", "wage_amount", "wage_workers", "wage_from", "wage_to")
MAX_AMOUNT = Decimal("9999999999.99")
MAX_WORKERS = 100000
_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")
_AMOUNT = re.compile(r"^\d{1,10}(\.\d{1,2})?$")  # 元, at most two decimals: no signs, exponents or NaN


def _in_wage_category(category_id, categories) -> bool:
    node = categories.get(category_id)
    while node is not None:
        if node.wage_arrears:
            return True
        node = categories.get(node.parent_id)
    return False


def is_clue(ticket) -> bool:
    """A 欠薪线索: in a 欠薪 category and not a 咨询 (a question about the rules is answered, not chased). Read from
    the directory in memory: no query on every registration and answer."""
    if ticket.kind == Kind.CONSULT or ticket.category_id is None:
        return False
    return _in_wage_category(ticket.category_id, directory().categories)


def wage_category_ids() -> list[int]:
    """The categories marked 欠薪线索 and all below them."""
    categories = directory().categories
    return [pk for pk in categories if _in_wage_category(pk, categories)]


def handles_clues(user) -> bool:
    """Whether the user's unit (or one above it) is the default unit of a 欠薪 category: its 承办人 get the menu
    entry; other units, which may still hold a clue now and then, reach the 台账 from the ticket page."""
    unit = department_of(user)
    if unit is None:
        return False
    d = directory()
    defaults = {d.categories[pk].default_department_id for pk in wage_category_ids()}
    while unit is not None:
        if unit.pk in defaults:
            return True
        unit = d.departments.get(unit.parent_id)
    return False


def clue_q(prefix: str = "") -> Q:
    """Tickets that are clues, as a database condition (the rule of `is_clue`)."""
    return Q(**{f"{prefix}category__in": wage_category_ids()}) & ~Q(**{f"{prefix}kind": Kind.CONSULT})


# ---------------------------------------------------------------- the facts

def _text(data, name, label, errors, *, limit, required=False) -> str:
    value = str(data.get(name) or "").replace("\r\n", "\n").strip()
    if required and not value:
        errors[name] = f"请填写{label}"
    elif len(value) > limit or not is_storable_text(value):
        errors[name] = f"{label}不超过{limit}字，且不能含有无法保存的字符"
    return value


def _amount(data, name, label, errors, *, positive=True) -> Decimal | None:
    raw = str(data.get(name) or "").replace(",", "").replace("，", "").strip()
    if not raw:
        errors[name] = f"请填写{label}（元）"
        return None
    lowest = "大于0" if positive else "不小于0"
    if not _AMOUNT.match(raw):
        errors[name] = f"{label}须为{lowest}、至多两位小数的金额（元），如 23500 或 23500.50"
        return None
    value = Decimal(raw)
    if value > MAX_AMOUNT or (positive and value <= 0):
        errors[name] = f"{label}须为{lowest}、不超过{MAX_AMOUNT:,}元的金额"
        return None
    return value


def _count(data, name, label, errors, *, minimum=1) -> int | None:
    raw = str(data.get(name) or "").strip()
    if not raw.isdecimal() or not (minimum <= int(raw) <= MAX_WORKERS):
        errors[name] = f"请填写{label}（{minimum}至{MAX_WORKERS}的整数）"
        return None
    return int(raw)


def _month(data, name, label, errors) -> date | None:
    raw = str(data.get(name) or "").strip()
    if not raw:
        return None
    m = _MONTH.match(raw)
    if m is None or not (1 <= int(m.group(2)) <= 12):
        errors[name] = f"{label}格式为 年-月，如 2026-08"
        return None
    if int(m.group(1)) < 2000:
        errors[name] = f"{label}须在2000年以后"
        return None
    value = date(int(m.group(1)), int(m.group(2)), 1)
    if value > clock.today():
        errors[name] = f"{label}不能晚于本月"
        return None
    return value


def clean(data) -> dict:
    """The 欠薪信息 of a form or a request (fields `wage_*`), checked; ValidationFailed by field."""
    errors: dict[str, str] = {}
    facts = {
        "employer": _text(data, "wage_employer", "欠薪单位", errors, limit=100, required=True),
        "credit_code": _text(data, "wage_credit_code", "欠薪单位的统一社会信用代码", errors, limit=18).upper(),
        "project": _text(data, "wage_project", "工程项目", errors, limit=100),
        "amount_owed": _amount(data, "wage_amount", "欠薪金额", errors),
        "workers": _count(data, "wage_workers", "涉及人数", errors),
        "period_from": _month(data, "wage_from", "欠薪起始月", errors),
        "period_to": _month(data, "wage_to", "欠薪截止月", errors),
    }
    if facts["credit_code"] and "wage_credit_code" not in errors and not is_valid_credit_code(facts["credit_code"]):
        errors["wage_credit_code"] = "统一社会信用代码无效（18位，末位为校验码）；不清楚可不填"
    if facts["period_from"] and facts["period_to"] and facts["period_from"] > facts["period_to"]:
        errors["wage_to"] = "欠薪截止月不能早于起始月"
    if errors:
        raise ValidationFailed(errors, message="欠薪信息有误")
    return facts


def submitted(data) -> bool:
    return any(str(data.get(name) or "").strip() for name in FIELDS)


# ---------------------------------------------------------------- on the lifecycle seam

def created(ticket, prepared, actor):
    """A clue registered by staff comes with its 欠薪信息, in the registering transaction; refused by field
    (nothing written) without it. A citizen's or a partner's request in the category is completed later."""
    data = getattr(ticket, "submitted", None) or {}
    if not is_clue(ticket):
        return None
    if not submitted(data) and not has_perm(actor, "wage.record"):
        return None  # a citizen's or a partner's: the hotline completes it
    WageClue.objects.create(ticket=ticket, recorded_by=actor, recorded_at=ticket.created_at, **clean(data))
    return None


def before_move(ticket, action):
    """答复 of a clue needs the unit's 处理结果 first."""
    if action not in (Action.REPLY, Action.SUBMIT_REPLY) or not is_clue(ticket):
        return None
    clue = WageClue.objects.filter(ticket=ticket).first()
    if clue is None:
        raise Conflict("欠薪线索答复前须登记欠薪信息（欠薪单位、金额、人数）", code="wage_clue_missing")
    if not clue.settled:
        raise Conflict("欠薪线索答复前须登记处理结果（追回金额、已结清人数）", code="wage_outcome_missing")
    return None


def moved(ticket, transition, before, actor) -> None:
    """The stricter 回访: a clue's worker must be reached; "未接通" closes it only once its 回访 time has run out."""
    if transition.action != Action.CALLBACK or ticket.callback_status == CallbackStatus.REACHED:
        return
    if not is_clue(ticket):
        return
    if ticket.callback_due_at is None or clock.now() <= ticket.callback_due_at:
        raise Conflict("欠薪线索须回访到劳动者本人，确认工资是否到账：联系不上或拒绝回访的，请在回访期限内再次回访"
                       "（期限届满仍联系不上的，方可如实登记办结）", code="wage_callback_unreached")


# ---------------------------------------------------------------- on the ticket page

OPEN_FOR_FACTS = (State.PENDING_DISPATCH, State.PENDING_SIGN, State.IN_PROGRESS)  # until the unit answers


def _open_ticket(actor, number: str) -> Ticket:
    ticket = access.access_ticket(actor, number, for_update=True)
    if ticket.state not in OPEN_FOR_FACTS:
        raise Conflict("承办单位答复后（及办结、终止后）不能再修改欠薪信息和处理结果", code="wage_answered")
    if not is_clue(ticket):
        raise Conflict("该工单不属于欠薪线索（诉求分类未标记为欠薪线索，或为咨询）", code="not_wage_clue")
    return ticket


@transaction.atomic
def record(actor, number: str, data) -> WageClue:
    """登记/修改欠薪信息 (the hotline, or the unit that has it)."""
    if not has_perm(actor, "wage.record"):
        raise PermissionDenied("您无权登记欠薪信息", code="action_forbidden")
    ticket = _open_ticket(actor, number)
    facts = clean(data)
    clue = WageClue.objects.filter(ticket=ticket).first()
    if clue is None:
        return WageClue.objects.create(ticket=ticket, recorded_by=actor, recorded_at=clock.now(), **facts)
    if clue.settled and clue.recovered_amount > facts["amount_owed"]:
        raise ValidationFailed({"wage_amount": f"已登记追回{clue.recovered_amount}元，欠薪金额不能少于此数"})
    facts.update(recorded_by=actor, recorded_at=clock.now())  # the panel names who last changed them
    for name, value in facts.items():
        setattr(clue, name, value)
    clue.save(update_fields=list(facts))
    return clue


@transaction.atomic
def settle(actor, number: str, data) -> WageClue:
    """处理结果 of the unit the clue is assigned to, while it handles it: 追回金额, 已结清人数, 处理情况."""
    ticket = _open_ticket(actor, number)
    if not access.can_act(actor, ticket, TRANSITIONS[Action.REPLY]):
        raise PermissionDenied("处理结果由承办单位登记", code="wage_not_handler")
    if ticket.state != State.IN_PROGRESS:
        raise Conflict("处理结果在签收后、答复前登记", code="wage_not_in_progress")
    clue = WageClue.objects.filter(ticket=ticket).first()
    if clue is None:
        raise Conflict("请先登记欠薪信息（欠薪单位、金额、人数）", code="wage_clue_missing")
    errors: dict[str, str] = {}
    recovered = _amount(data, "recovered_amount", "追回金额", errors, positive=False)
    paid = _count(data, "workers_paid", "已结清人数", errors, minimum=0)
    note = _text(data, "outcome_note", "处理情况", errors, limit=2000, required=True)
    if paid is not None and paid > clue.workers:
        errors["workers_paid"] = f"已结清人数不能多于涉及人数（{clue.workers}人）"
    if recovered is not None and recovered > clue.amount_owed:
        errors["recovered_amount"] = f"追回金额不能多于欠薪金额（{clue.amount_owed}元）；欠薪金额有误的，请先修改欠薪信息"
    if errors:
        raise ValidationFailed(errors, message="处理结果有误")
    clue.recovered_amount, clue.workers_paid, clue.outcome_note = recovered, paid, note
    clue.outcome_by, clue.outcome_at = actor, clock.now()
    clue.save(update_fields=["recovered_amount", "workers_paid", "outcome_note", "outcome_by", "outcome_at"])
    return clue


# ---------------------------------------------------------------- figures and the 台账

@dataclass
class Figures:
    label: str
    clues: int = 0  # 线索数
    counted: int = 0  # less 已作废/已并单/已转110
    closed: int = 0  # 办结
    on_time: int = 0  # answered by the 答复 deadline
    due: int = 0  # answered or past the deadline
    workers: int = 0
    workers_paid: int = 0
    owed: Decimal = field(default_factory=Decimal)
    recovered: Decimal = field(default_factory=Decimal)
    missing: int = 0  # 欠薪信息待补录

    @property
    def closed_rate(self) -> float | None:
        return self.closed / self.counted if self.counted else None

    @property
    def on_time_rate(self) -> float | None:
        return self.on_time / self.due if self.due else None

    @property
    def recovered_rate(self) -> float | None:
        return float(self.recovered / self.owed) if self.owed else None


def visible(user):
    if not has_perm(user, "wage.view"):
        raise PermissionDenied("您无权查看欠薪线索", code="action_forbidden")
    return Ticket.objects.visible_to(user).filter(clue_q())


def period_tickets(user, first: date, last: date):
    start, end = clock.day_range(first, last)
    return (visible(user).filter(created_at__gte=start, created_at__lt=end)
            .select_related("department", "wage_clue").order_by("-created_at"))


def figures(rows, now=None) -> tuple[Figures, list[Figures]]:
    """The total and one line per 承办单位 (未派单 for those not yet handed over)."""
    now = now or clock.now()
    total, lines = Figures("合计"), {}
    for t in rows:
        label = t.department.name if t.department_id else "未派单"
        line = lines.setdefault(label, Figures(label))
        clue = getattr(t, "wage_clue", None)
        for f in (total, line):
            f.clues += 1
            if clue is None:
                f.missing += 1
            else:
                f.workers += clue.workers
                f.owed += clue.amount_owed
                f.workers_paid += clue.workers_paid or 0
                f.recovered += clue.recovered_amount or 0
            if t.state in NOT_COUNTED or t.state == State.MERGED:
                continue
            f.counted += 1
            f.closed += t.state == State.CLOSED
            answered = t.replied_at is not None
            if answered or (t.reply_due_at is not None and t.reply_due_at < now):
                f.due += 1
                f.on_time += answered and (t.reply_due_at is None or t.replied_at <= t.reply_due_at)
    return total, sorted(lines.values(), key=lambda line: (-line.clues, line.label))


def _local(moment) -> str:
    return "" if moment is None else timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")


def _months(clue) -> str:
    if clue is None or not (clue.period_from or clue.period_to):
        return ""
    a, b = clue.period_from, clue.period_to
    return "至".join(f"{d:%Y-%m}" for d in (a, b) if d) if a != b else f"{a:%Y-%m}"


def dashboard_line(user, first: date, last: date, department_ids=None) -> Figures:
    """The KPI dashboard's 欠薪线索 line: the clues the reader may see, registered in the period (and under the
    dashboard's unit when one is chosen)."""
    start, end = clock.day_range(first, last)
    rows = (Ticket.objects.visible_to(user).filter(clue_q(), created_at__gte=start, created_at__lt=end)
            .select_related("department", "wage_clue"))
    if department_ids is not None:
        rows = rows.filter(department__in=department_ids)
    return figures(rows)[0]


def ledger_workbook(rows, first: date, last: date) -> bytes:
    """欠薪线索台账 (Excel): 汇总 by unit and 明细, one row per clue. No worker's name or phone: those stay on
    the ticket, for those who may open it."""
    from openpyxl import Workbook

    from jiesu.kpi import excel

    rows = list(rows)
    total, lines = figures(rows)
    book = Workbook()
    ws = book.active
    ws.title = "汇总"
    excel.sheet(ws, ["承办单位", "线索数", "办结", "办结率", "按期答复率", "涉及人数", "已结清人数", "欠薪金额（元）",
                     "追回金额（元）", "待补录"],
                [[f.label, f.clues, f.closed, f.closed_rate, f.on_time_rate, f.workers, f.workers_paid,
                  float(f.owed), float(f.recovered), f.missing] for f in [*lines, total]],
                {3: excel.PERCENT, 4: excel.PERCENT}, widths={0: 30})
    ws.cell(row=len(lines) + 4, column=1, value=f"统计期间：{first:%Y-%m-%d} 至 {last:%Y-%m-%d}（按登记日期）")
    detail = []
    for t in rows:
        c = getattr(t, "wage_clue", None)
        detail.append([t.number, _local(t.created_at), c.employer if c else "（待补录）", c.credit_code if c else "",
                       c.project if c else "", float(c.amount_owed) if c else None, c.workers if c else None,
                       _months(c), t.department.name if t.department_id else "未派单", t.get_state_display(),
                       _local(t.reply_due_at), _local(t.replied_at),
                       float(c.recovered_amount) if c and c.recovered_amount is not None else None,
                       c.workers_paid if c else None, c.outcome_note if c else "",
                       t.get_callback_status_display(), "是" if t.resolved else "否" if t.resolved is False else ""])
    excel.sheet(book.create_sheet("明细"), ["工单编号", "登记时间", "欠薪单位", "统一社会信用代码", "工程项目", "欠薪金额（元）",
                                           "涉及人数", "欠薪期间", "承办单位", "状态", "答复期限", "答复时间",
                                           "追回金额（元）", "已结清人数", "处理情况", "回访", "回访是否解决"],
                detail, widths={2: 28, 4: 24, 8: 24, 14: 40})
    return excel.save(book)


def get(user, number: str) -> WageClue:
    ticket = access.access_ticket(user, number)
    clue = WageClue.objects.filter(ticket=ticket).first()
    if clue is None:
        raise NotFound("该工单没有欠薪信息", code="wage_clue_not_found")
    return clue
