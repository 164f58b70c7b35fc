"""KPI figures: keeping the daily rollup exact as tickets change, and reading it by unit, region, category,
channel, 诉求类型 and period. Views, the API, the report command and the tests call these functions.

Every figure can be recomputed from raw tickets (`raw_sums`, `tickets_for`) and must equal what the rollup
says (`sums`); `verify` checks that for every day and combination.
"""

from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from types import SimpleNamespace
from urllib.parse import urlencode

from django.db import connection, transaction
from django.db.models import Case, Q, Sum, Value, When
from django.db.models import Count as DbCount
from django.db.models.functions import TruncDate
from django.utils import timezone

from jiesu.core import clock
from jiesu.core.errors import PermissionDenied, ValidationFailed
from jiesu.core.validators import DATE_FORMAT_MESSAGE, parse_day
from jiesu.directory.models import Category, Department, Region
from jiesu.directory.permissions import department_of, has_perm
from jiesu.directory.services import is_descendant, subtree_ids
from jiesu.tickets.models import Channel, Kind, Ticket, concerns_enterprise, enterprise_q

from .definitions import COUNTS, composite, config, counts_of, rates
from .models import CUBES, DIMENSIONS, KpiDaily

COUNT_NAMES = tuple(COUNTS)
_TRACKED = ("state", "department_id", "region_id", "category_id", "channel", "kind", "dispatched_at", "signed_at",
            "sign_due_at", "contacted_at", "contact_due_at", "callback_at", "callback_status", "resolved",
            "satisfaction", "reply_due_at", "replied_at", "merged_into_id", "credit_code", "enterprise_name")
ENTERPRISE = {"yes": "涉企诉求", "no": "非涉企诉求"}  # the 涉企 filter's values (rollup: 1 and 0)

# ------------------------------------------------------------------ keeping the rollup


def snapshot(ticket) -> SimpleNamespace:
    """What the rollup needs to know of a ticket, taken before a change so the change can be undone."""
    return SimpleNamespace(**{name: getattr(ticket, name) for name in _TRACKED})


def _numeric(dimension: str) -> bool:
    return dimension.endswith("_id") or dimension == "enterprise"


def _blank(dimension: str):
    return 0 if _numeric(dimension) else ""


def _coarsen(full: tuple) -> list[tuple]:
    """A full key (day, *DIMENSIONS) as the key of every cube: (cube, day, dimensions with the cube's
    missing ones blanked)."""
    day, values = full[0], dict(zip(DIMENSIONS, full[1:], strict=True))
    return [(cube, day, *(values[d] if d in kept else _blank(d) for d in DIMENSIONS)) for cube, kept in CUBES.items()]


def _contributions(t) -> dict[tuple, dict[str, int]]:
    out: dict[tuple, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    if t is not None:
        for name, day in counts_of(t).items():
            full = (day, t.department_id or 0, t.region_id or 0, t.category_id or 0, t.channel, t.kind,
                    int(concerns_enterprise(t)))
            for key in _coarsen(full):
                out[key][name] += 1
    return out


def record_change(before, after) -> None:
    """Apply one ticket's change (before: a snapshot or None for a new ticket) to the rollup. Called by the
    ticket services inside the transaction that writes the ticket, so the two commit together."""
    delta: dict[tuple, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for sign, side in ((-1, before), (1, snapshot(after))):
        for key, counts in _contributions(side).items():
            for name, n in counts.items():
                delta[key][name] += sign * n
    rows = [(key, counts) for key, counts in delta.items() if any(counts.values())]
    if rows:
        _add(rows)


def _add(rows) -> None:
    """Add counts to rollup rows, creating them when missing: one INSERT … ON CONFLICT DO UPDATE (the same
    statement on SQLite and PostgreSQL), atomic under concurrent writers."""
    table = KpiDaily._meta.db_table
    columns = ["cube", "day", *DIMENSIONS, *COUNT_NAMES]
    quote = connection.ops.quote_name
    updates = ", ".join(f"{quote(c)} = {table}.{quote(c)} + excluded.{quote(c)}" for c in COUNT_NAMES)
    sql = (
        f"INSERT INTO {table} ({', '.join(quote(c) for c in columns)}) "
        f"VALUES ({', '.join(['%s'] * len(columns))}) "
        f"ON CONFLICT ({', '.join(quote(c) for c in ['cube', 'day', *DIMENSIONS])}) DO UPDATE SET {updates}"
    )
    params = [
        [key[0], connection.ops.adapt_datefield_value(key[1]), *key[2:], *(counts.get(c, 0) for c in COUNT_NAMES)]
        for key, counts in rows
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, params)


def _grouped_sql() -> tuple[str, list]:
    """One SELECT of the full cube (day, dimensions, every count) from raw tickets, built from the database
    definitions (COUNTS[...].q) so the database does the grouping: a UNION ALL of one grouped query per
    count, summed per day and combination."""
    parts, params = [], []
    for position, count in enumerate(COUNTS.values()):
        grouped = (
            Ticket.objects.filter(count.q)
            .annotate(kpi_day=TruncDate(count.date_field, tzinfo=timezone.get_current_timezone()),
                      enterprise=Case(When(enterprise_q(), then=Value(1)), default=Value(0)))
            .values("kpi_day", *DIMENSIONS)
            .annotate(n=DbCount("id"))
            .order_by()
        )
        sql, sub_params = grouped.query.sql_with_params()
        columns = ", ".join(f"{'n' if i == position else '0'} AS c{i}" for i in range(len(COUNTS)))
        parts.append(f"SELECT kpi_day, {', '.join(DIMENSIONS)}, {columns} FROM ({sql}) AS g{position}")
        params.extend(sub_params)
    dims = ", ".join(f"COALESCE({d}, 0)" if d.endswith("_id") else d for d in DIMENSIONS)
    sums_sql = ", ".join(f"SUM(c{i})" for i in range(len(COUNTS)))
    sql = f"SELECT kpi_day, {dims}, {sums_sql} FROM ({' UNION ALL '.join(parts)}) AS u GROUP BY kpi_day, {dims}"
    return sql, params


def _raw_rows() -> dict[tuple, dict[str, int]]:
    """Every cube recomputed from raw tickets: the full cube by the database, the coarse ones here in Python
    (rebuild derives them in SQL instead, so verify checks one against the other)."""
    rows: dict[tuple, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    sql, params = _grouped_sql()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for record in cursor.fetchall():
            day = record[0] if isinstance(record[0], date) else date.fromisoformat(str(record[0]))
            for key in _coarsen((day, *record[1:1 + len(DIMENSIONS)])):
                for name, n in zip(COUNT_NAMES, record[1 + len(DIMENSIONS):], strict=True):
                    rows[key][name] += n
    return rows


@transaction.atomic
def rebuild() -> int:
    """Recompute the whole rollup from raw tickets, inside the database (after a bulk import, or a calendar
    change that moved deadlines): the full cube from the tickets, the coarse cubes from the full one.
    Returns the number of rows written."""
    KpiDaily.objects.all().delete()
    sql, params = _grouped_sql()
    quote = connection.ops.quote_name
    table = KpiDaily._meta.db_table
    columns = ", ".join(quote(c) for c in ["cube", "day", *DIMENSIONS, *COUNT_NAMES])
    sums_sql = ", ".join(f"SUM({quote(c)})" for c in COUNT_NAMES)
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {table} ({columns}) SELECT 0, u.* FROM ({sql}) AS u", params)
        for cube, kept in CUBES.items():
            if cube == 0:
                continue
            dims = ", ".join(quote(d) if d in kept else ("0" if _numeric(d) else "''") for d in DIMENSIONS)
            group = ", ".join(quote(d) for d in kept)
            cursor.execute(f"INSERT INTO {table} ({columns}) SELECT {cube}, {quote('day')}, {dims}, {sums_sql} "
                           f"FROM {table} WHERE cube = 0 GROUP BY {quote('day')}, {group}")
    return KpiDaily.objects.count()


# ------------------------------------------------------------------ filters and periods

PERIODS = {"day": "日", "week": "周", "month": "月", "quarter": "季度", "year": "年", "custom": "自定义"}


def period_bounds(kind: str, at: date) -> tuple[date, date]:
    """The day, ISO week (Monday first), month, quarter or year containing `at`, as inclusive dates."""
    if kind == "day":
        return at, at
    if kind == "week":
        start = at - timedelta(days=at.weekday())
        return start, start + timedelta(days=6)
    if kind == "month":
        start = at.replace(day=1)
    elif kind == "quarter":
        start = date(at.year, 3 * ((at.month - 1) // 3) + 1, 1)
    elif kind == "year":
        return date(at.year, 1, 1), date(at.year, 12, 31)
    else:
        raise ValidationFailed({"period": f"未知的统计周期：{kind}"})
    months = 1 if kind == "month" else 3
    month0 = start.month - 1 + months
    return start, date(start.year + month0 // 12, month0 % 12 + 1, 1) - timedelta(days=1)


def previous_period(start: date, end: date, kind: str) -> tuple[date, date]:
    if kind in ("month", "quarter", "year"):
        return period_bounds(kind, start - timedelta(days=1))
    length = (end - start).days + 1
    return start - timedelta(days=length), start - timedelta(days=1)


@dataclass(frozen=True)
class Filters:
    """One slice of the figures: an inclusive date range and optional dimensions. A department, region or
    category includes everything below it (sub-units rolled up to their parent)."""

    start: date
    end: date
    period: str = "custom"
    department: Department | None = None
    region: Region | None = None
    category: Category | None = None
    channel: str = ""
    kind: str = ""
    enterprise: str = ""  # "yes": 涉企诉求 only; "no": the others
    _ids: dict = field(default_factory=dict, compare=False, repr=False)

    def ids(self, name: str) -> list[int] | None:
        node = getattr(self, name)
        if node is None:
            return None
        if name not in self._ids:
            self._ids[name] = subtree_ids(node)
        return self._ids[name]

    def with_(self, **changes) -> "Filters":
        return replace(self, _ids={}, **changes)

    def dimension_q(self, prefix: str = "", *, rollup: bool = False) -> Q:
        """The slice as a condition on tickets (`prefix` for a relation to them), or on rollup rows."""
        q = Q()
        for name in ("department", "region", "category"):
            ids = self.ids(name)
            if ids is not None:
                q &= Q(**{f"{prefix}{name}_id__in": ids})
        if self.channel:
            q &= Q(**{f"{prefix}channel": self.channel})
        if self.kind:
            q &= Q(**{f"{prefix}kind": self.kind})
        if self.enterprise:
            matches = Q(enterprise=1) if rollup else enterprise_q(prefix)
            q &= matches if self.enterprise == "yes" else ~matches
        return q

    def query_string(self) -> str:
        """The same slice as URL parameters, for links from a number to its tickets."""
        params = {"from": self.start.isoformat(), "to": self.end.isoformat()}
        for name in ("department", "region", "category"):
            node = getattr(self, name)
            if node is not None:
                params[name] = node.code
        if self.channel:
            params["channel"] = self.channel
        if self.kind:
            params["kind"] = self.kind
        if self.enterprise:
            params["enterprise"] = self.enterprise
        return urlencode(params)


def _parse_date(value: str, name: str, label: str) -> date:
    day = parse_day(value)
    if day is None:
        raise ValidationFailed({name: f"{label}{DATE_FORMAT_MESSAGE}：{value}"})
    return day


def parse_filters(params, *, today: date | None = None) -> Filters:
    """Filters from request or command parameters: `period` (day/week/month/quarter/year) with `at` (a
    date, or YYYY-MM for a month), or `from`/`to`; and department/region/category codes, channel, kind.
    Unknown codes and impossible ranges are a ValidationFailed (HTTP 400), never an empty page."""
    today = today or clock.today()
    errors: dict[str, str] = {}
    start_text, end_text = (params.get("from") or "").strip(), (params.get("to") or "").strip()
    period = (params.get("period") or "").strip() or ("custom" if start_text or end_text else "month")
    if period == "custom":
        if not (start_text and end_text):
            raise ValidationFailed({"from": "自定义周期需要同时给出起止日期"})
        start, end = _parse_date(start_text, "from", "起始日期"), _parse_date(end_text, "to", "结束日期")
        if start > end:
            raise ValidationFailed({"to": "结束日期不能早于起始日期"})
        if (end - start).days > 366 * 5:
            raise ValidationFailed({"to": "统计区间不能超过五年"})
    elif period in PERIODS:
        at_text = (params.get("at") or "").strip()
        if len(at_text) == 7:
            at_text += "-01"
        at = _parse_date(at_text, "at", "统计日期") if at_text else today
        start, end = period_bounds(period, at)
    else:
        raise ValidationFailed({"period": f"未知的统计周期：{period}"})
    found = {}
    for name, model, label in (("department", Department, "承办单位"), ("region", Region, "区划"),
                               ("category", Category, "诉求分类")):
        code = (params.get(name) or "").strip()
        if code:
            found[name] = model.objects.filter(code=code).first()
            if found[name] is None:
                errors[name] = f"{label}不存在：{code}"
    channel, kind = (params.get("channel") or "").strip(), (params.get("kind") or "").strip()
    if channel and channel not in Channel.values:
        errors["channel"] = f"未知的来源渠道：{channel}"
    if kind and kind not in Kind.values:
        errors["kind"] = f"未知的诉求类型：{kind}"
    enterprise = (params.get("enterprise") or "").strip()
    if enterprise and enterprise not in ENTERPRISE:
        errors["enterprise"] = f"涉企筛选应为 yes（涉企诉求）或 no（非涉企诉求）：{enterprise}"
    if errors:
        raise ValidationFailed(errors)
    return Filters(start=start, end=end, period=period, channel=channel, kind=kind, enterprise=enterprise, **found)


def scoped(user, filters: Filters) -> Filters:
    """The slice this user may read. The hotline centre, supervisors and leaders see every unit; a handling
    unit's staff see their own unit and its sub-units (and are put there when no unit is chosen)."""
    if has_perm(user, "kpi.view_all"):
        return filters
    own = department_of(user)
    if not has_perm(user, "kpi.view_department") or own is None:
        raise PermissionDenied("您无权查看考核指标", code="kpi_forbidden")
    if filters.department is None:
        return filters.with_(department=own)
    if filters.department.pk != own.pk and not is_descendant(filters.department, own):
        raise PermissionDenied("只能查看本单位及下级单位的考核指标", code="kpi_forbidden")
    return filters


# ------------------------------------------------------------------ reading


def _cube_for(needed: set[str]) -> int:
    for cube, kept in CUBES.items():  # smallest first
        if needed <= set(kept):
            return cube
    return 0


def _rollup(filters: Filters, group_by: str = ""):
    """Rollup rows of the slice, from the smallest cube that has its filters' and `group_by`'s dimensions."""
    needed = {f"{name}_id" for name in ("department", "region", "category") if getattr(filters, name) is not None}
    needed |= {name for name in ("channel", "kind", "enterprise") if getattr(filters, name)}
    if group_by:
        needed.add(group_by)
    return KpiDaily.objects.filter(filters.dimension_q(rollup=True), cube=_cube_for(needed), day__gte=filters.start,
                                   day__lte=filters.end)


def sums(filters: Filters) -> dict[str, int]:
    """Every count for the slice, from the rollup (one indexed aggregate)."""
    got = _rollup(filters).aggregate(**{name: Sum(name) for name in COUNT_NAMES})
    return {name: got[name] or 0 for name in COUNT_NAMES}


def _local_range(start: date, end: date) -> tuple[datetime, datetime]:
    return clock.day_range(start, end)


def tickets_for(count: str, filters: Filters):
    """The tickets behind one count of one slice, straight from the ticket table: what a number links to."""
    if count not in COUNTS:
        raise ValidationFailed({"count": f"未知的统计项：{count}"})
    definition = COUNTS[count]
    low, high = _local_range(filters.start, filters.end)
    return Ticket.objects.filter(
        definition.q, filters.dimension_q(),
        **{f"{definition.date_field}__gte": low, f"{definition.date_field}__lt": high},
    )


def raw_sums(filters: Filters) -> dict[str, int]:
    """Every count recomputed from raw tickets (slow at scale; for checks and audits)."""
    return {name: tickets_for(name, filters).count() for name in COUNT_NAMES}


def summary(filters: Filters) -> dict:
    counts = sums(filters)
    return {"counts": counts, "rates": rates(counts)}


def trend(filters: Filters, grain: str = "") -> list[dict]:
    """The rates per day, week or month across the slice (grain chosen from its length when not given)."""
    days = (filters.end - filters.start).days + 1
    grain = grain or ("day" if days <= 62 else "week" if days <= 190 else "month")
    buckets: dict[date, dict[str, int]] = {}
    per_day = _rollup(filters).values("day").annotate(**{n: Sum(n) for n in COUNT_NAMES}).order_by("day")
    for row in per_day:
        day = row["day"]
        start = period_bounds(grain, day)[0]
        bucket = buckets.setdefault(start, dict.fromkeys(COUNT_NAMES, 0))
        for name in COUNT_NAMES:
            bucket[name] += row[name] or 0
    return [{"start": start, "counts": counts, "rates": rates(counts)} for start, counts in sorted(buckets.items())]


# ------------------------------------------------------------------ breakdowns and rankings


def ranking_units(parent: Department | None = None) -> list[Department]:
    """The units ranked side by side: the children of `parent`, or, city-wide, the units directly under the
    people's government(s) and any other top-level unit except the hotline centre itself."""
    if parent is not None:
        return list(Department.objects.filter(parent=parent, active=True).order_by("code"))
    units = []
    for root in Department.objects.filter(parent__isnull=True).order_by("code"):
        if root.kind == Department.Kind.HOTLINE_CENTER:
            continue
        if root.kind == Department.Kind.GOVERNMENT:
            units.extend(Department.objects.filter(parent=root, active=True).order_by("code"))
        else:
            units.append(root)
    return units


def _ancestor_map(model, units) -> dict[int, object]:
    """id → the unit among `units` it belongs under (itself or an ancestor); ids under none are left out."""
    parents = dict(model.objects.values_list("id", "parent_id"))
    wanted = {u.pk: u for u in units}
    mapping = {}
    for node_id in parents:
        walk = node_id
        while walk is not None and walk not in wanted:
            walk = parents.get(walk)
        if walk is not None:
            mapping[node_id] = wanted[walk]
    return mapping


_DIMENSION_MODELS = {"department": Department, "region": Region, "category": Category}


def _children_or_top(model, node):
    queryset = model.objects.filter(parent=node) if node is not None else model.objects.filter(parent__isnull=True)
    return list(queryset.order_by("code"))


def breakdown(filters: Filters, dimension: str) -> list[dict]:
    """The counts and rates per member of one dimension: department (ranking units, sub-units rolled up),
    region and category (the level below the filter's, or the top level), channel or 诉求类型. Each row
    carries the Filters that select it, for links and drill-down."""
    column = f"{dimension}_id" if dimension in _DIMENSION_MODELS else dimension
    if column not in DIMENSIONS:
        raise ValidationFailed({"dimension": f"未知的维度：{dimension}"})
    grouped = _rollup(filters, column).values(column).annotate(**{n: Sum(n) for n in COUNT_NAMES}).order_by()
    rows: dict[object, dict[str, int]] = {}
    if dimension in _DIMENSION_MODELS:
        model = _DIMENSION_MODELS[dimension]
        selected = getattr(filters, dimension)
        if dimension == "department":
            units = ranking_units(selected)
            if selected is not None and not units:
                units = [selected]
        else:
            units = _children_or_top(model, selected) or ([selected] if selected else [])
        owner = _ancestor_map(model, units)
        for g in grouped:
            unit = owner.get(g[column])
            if unit is None:
                continue
            bucket = rows.setdefault(unit.pk, dict.fromkeys(COUNT_NAMES, 0))
            for name in COUNT_NAMES:
                bucket[name] += g[name] or 0
        members = [(u, u.name, filters.with_(**{dimension: u})) for u in units]
        keys = [u.pk for u in units]
    else:
        choices = {"channel": Channel.choices, "kind": Kind.choices, "enterprise": list(ENTERPRISE.items())}[dimension]
        for g in grouped:
            rows[g[column]] = {name: g[name] or 0 for name in COUNT_NAMES}
        members = [(value, label, filters.with_(**{dimension: value})) for value, label in choices]
        keys = [int(value == "yes") if dimension == "enterprise" else value for value, _ in choices]
    out = []
    for (member, label, sub_filters), key in zip(members, keys, strict=True):
        counts = rows.get(key, dict.fromkeys(COUNT_NAMES, 0))
        out.append({"member": member, "label": label, "filters": sub_filters, "counts": counts,
                    "rates": rates(counts)})
    return out


def ranking(filters: Filters) -> list[dict]:
    """The department ranking (排名) by composite score, best first; units with nothing to score last.
    Ties share a rank."""
    rows = breakdown(filters, "department")
    _add_evaluation(rows, filters)
    rows.sort(key=lambda r: (r["rates"]["score"] is None, -(r["rates"]["score"] or 0), r["label"]))
    rank, previous = 0, object()
    for position, row in enumerate(rows, start=1):
        score = row["rates"]["score"]
        if score is None:
            row["rank"] = None
            continue
        if score != previous:
            rank, previous = position, score
        row["rank"] = rank
    return rows


def _add_evaluation(rows: list[dict], filters: Filters) -> None:
    """百企评机关 in the composite, where its weight is set: each unit rated in the latest closed campaign over the
    period gets `evaluation` (its 百分制 score ÷ 100) and its score recomputed with that weight. A unit with
    nothing else to score is not ranked on the evaluation alone."""
    if not config()["weights"].get("evaluation"):
        return
    from jiesu.enterprise.evaluations import kpi_scores

    scores = kpi_scores(filters.start, filters.end)
    for row in rows:
        found = scores.get(row["member"].pk)
        if found is not None and row["rates"]["score"] is not None:
            row["rates"] = {**row["rates"], "evaluation": found / 100}
            row["rates"]["score"] = composite(row["rates"])


def _by_unit(rows, filters: Filters, moment: str):
    """Rows about tickets (history entries, 协办 parts …) in the slice: `moment` in the period, region, category,
    channel and kind on their ticket, and the department filter (with its sub-units) on the row's own unit."""
    low, high = _local_range(filters.start, filters.end)
    rows = rows.filter(filters.with_(department=None).dimension_q("ticket__"),
                       **{f"{moment}__gte": low, f"{moment}__lt": high})
    departments = filters.ids("department")
    return rows if departments is None else rows.filter(department_id__in=departments)


def routing_quality(filters: Filters) -> dict:
    """智能派单 in production over the slice: how often the router's department was the one the ticket was
    finally dispatched to, and the 退单 by a unit the router had suggested (a likely wrong route). The
    department filter applies to the final (or returning) unit; region, category, channel and kind to the
    ticket."""
    from django.db.models import Exists, F, OuterRef

    from jiesu.routing.models import Prediction
    from jiesu.tickets.models import TicketEvent
    from jiesu.tickets.workflow import Action

    low, high = _local_range(filters.start, filters.end)
    ticket_q = filters.with_(department=None).dimension_q("ticket__")
    departments = filters.ids("department")
    predictions = Prediction.objects.filter(ticket_q, created_at__gte=low, created_at__lt=high)
    decided = predictions.filter(department__isnull=False, final_department__isnull=False)
    if departments is not None:
        decided = decided.filter(final_department_id__in=departments)
    # Upheld 退单 only: a rejected one means the route was right.
    returns = _by_unit(TicketEvent.objects.filter(action=Action.APPROVE_RETURN), filters, "created_at")
    suggested_here = Prediction.objects.filter(ticket_id=OuterRef("ticket_id"), department_id=OuterRef("department_id"))
    decided_n = decided.count()
    correct = decided.filter(final_department_id=F("department_id")).count()
    return {
        "predictions": predictions.count(),
        "auto": predictions.filter(source=Prediction.Source.AUTO).count(),
        "decided": decided_n,
        "correct": correct,
        "accuracy": correct / decided_n if decided_n else None,
        "returns": returns.count(),
        "wrong_route_returns": returns.filter(Exists(suggested_here)).count(),
    }


def assist_figures(filters: Filters) -> list[dict]:
    """协办 per assisting unit over the slice: the parts whose 反馈期限 falls in the period and can be judged (sent, or
    due and not sent), how many were sent to the lead, how many on time (by the limit), how many not at all (its
    limit passed: still open, or the lead answered without it). The ticket's own rates count for the lead only;
    this is how an assisting unit is measured. The department filter applies to the assisting unit; region,
    category, channel and kind to the ticket. Read from the parts themselves (few), not the rollup."""
    from django.db.models import Count, F
    from django.db.models import Q as Where

    from jiesu.tickets.models import AssistPart

    now = clock.now()
    # Not measured: parts of a ticket that left the lead, parts the lead did not need (it answered before they were
    # due), and open parts not yet due.
    parts = (_by_unit(AssistPart.objects.all(), filters, "due_at")
             .exclude(status__in=[AssistPart.Status.WITHDRAWN, AssistPart.Status.NOT_NEEDED])
             .exclude(status__in=AssistPart.OPEN, due_at__gte=now))
    rows = (parts.values("department__name").annotate(
        due=Count("id"),
        submitted=Count("id", filter=Where(status=AssistPart.Status.SUBMITTED)),
        on_time=Count("id", filter=Where(status=AssistPart.Status.SUBMITTED, submitted_at__lte=F("due_at"))),
        missed=Count("id", filter=Where(status=AssistPart.Status.UNSUBMITTED)
                     | Where(status__in=AssistPart.OPEN, due_at__lt=now)),
    ).order_by("-due", "department__name"))
    return [{"department": r.pop("department__name"), **r, "rate": r["on_time"] / r["due"] if r["due"] else None}
            for r in rows]


def deflections(filters: Filters) -> int:
    """网上自助解答: citizens who found their answer in the knowledge base while writing on the website and did not
    submit (portal.Deflection), in the period; city-wide (they never became tickets, so no unit or category)."""
    from jiesu.portal.models import Deflection

    low, high = _local_range(filters.start, filters.end)
    return Deflection.objects.filter(created_at__gte=low, created_at__lt=high).count()


def redo_figures(filters: Filters) -> list[dict]:
    """重办 per unit over the slice: tickets sent back to the unit after an unsatisfied callback (重办), and answers
    the centre sent back where the 答复审核 rule counts that as a 重办 (答复退回, `redo`). Read from the history
    (few entries); the department filter applies to the unit, the other filters to the ticket."""
    from django.db.models import Count
    from django.db.models import Q as Where

    from jiesu.tickets.models import TicketEvent
    from jiesu.tickets.workflow import Action

    events = _by_unit(TicketEvent.objects.filter(Where(action=Action.REDO)
                                                 | Where(action=Action.REJECT_REPLY, data__redo=True),
                                                 department__isnull=False), filters, "created_at")
    rows = events.values("department__name").annotate(
        redo=Count("id", filter=Where(action=Action.REDO)),
        sent_back=Count("id", filter=Where(action=Action.REJECT_REPLY)),
    ).order_by("department__name")
    figures = [{"department": r["department__name"], "redo": r["redo"], "sent_back": r["sent_back"],
                "total": r["redo"] + r["sent_back"]} for r in rows]
    return sorted(figures, key=lambda r: -r["total"])  # most first; by name among equals (stable sort)


def verify() -> list[str]:
    """Differences between the rollup and a recomputation from raw tickets, per day and combination (empty
    when they agree)."""
    expected = _raw_rows()
    stored = {}
    for row in KpiDaily.objects.values("cube", "day", *DIMENSIONS, *COUNT_NAMES).iterator():
        stored[(row["cube"], row["day"], *(row[d] for d in DIMENSIONS))] = {n: row[n] for n in COUNT_NAMES}
    problems = []
    for key in set(expected) | set(stored):
        want = {n: expected.get(key, {}).get(n, 0) for n in COUNT_NAMES}
        have = stored.get(key, dict.fromkeys(COUNT_NAMES, 0))
        if want != have:
            problems.append(f"{key}: 汇总 {have} ≠ 重算 {want}")
    return sorted(problems)
