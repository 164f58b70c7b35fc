"""Time limits: the calendar from the database, rule matching, deadlines on tickets, SLA status, and the sweep.

Ticket services call `start_clocks` and `set_reply_due` inside their own transaction;
nothing here saves the ticket.
"""

import time as _time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from jiesu.core import clock as jiesu_clock
from jiesu.core import stamps
from jiesu.directory.models import is_wage_arrears

from .calendar import WorkingCalendar
from .models import CalendarDay, Clock, ConfigChange, SlaAlert, SweepRun, TimeLimitRule, Unit

# ---------------------------------------------------------------- calendar

def _load_calendar() -> WorkingCalendar:
    rows = list(CalendarDay.objects.values_list("day", "type"))
    return WorkingCalendar(
        holidays=[d for d, t in rows if t == CalendarDay.Type.HOLIDAY],
        makeup_workdays=[d for d, t in rows if t == CalendarDay.Type.MAKEUP],
    )


# The calendar and the rules are kept in every process and reloaded when the "sla" stamp changes (core.stamps):
# a holiday or a rule changed anywhere — here, in the admin, by another server — is used everywhere within
# JIESU_STAMP_RECHECK_SECONDS.
SLA_STAMP = "sla"
_calendar = stamps.Cached(SLA_STAMP, _load_calendar)
_rules_cache = stamps.Cached(SLA_STAMP, lambda: list(TimeLimitRule.objects.filter(active=True).select_related("category")))


def invalidate() -> None:
    """Reload on the next read (this process only; between tests)."""
    _calendar.clear()
    _rules_cache.clear()


def _changed() -> None:
    stamps.bump(SLA_STAMP)


def working_calendar() -> WorkingCalendar:
    """The calendar from the CalendarDay table (kept in memory until it changes)."""
    return _calendar.get()


def _day_dict(row: CalendarDay | None) -> dict | None:
    return None if row is None else {"type": row.type, "name": row.name}


@transaction.atomic
def set_calendar_day(day: date, *, type: str | None, name: str = "", actor=None, reason: str) -> bool:
    """Make `day` a holiday, a make-up workday, or (type=None) an ordinary day. Records who and why.
    Returns True if anything changed."""
    if not reason.strip():
        raise ValueError("修改节假日必须说明原因")
    row = CalendarDay.objects.filter(day=day).first()
    before = _day_dict(row)
    if type is None:
        if row is None:
            return False
        row.delete()
        after = None
    else:
        if row is not None and row.type == type and row.name == name:
            return False
        row, _ = CalendarDay.objects.update_or_create(day=day, defaults={"type": type, "name": name})
        after = _day_dict(row)
    ConfigChange.objects.create(
        subject="calendar_day", key=day.isoformat(), before=before, after=after, actor=actor, reason=reason
    )
    _changed()
    return True


HOLIDAY_NAMES = {
    "New Year's Day": "元旦",
    "Spring Festival": "春节",
    "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节",
    "National Day": "国庆节",
    "Mid-autumn Festival": "中秋节",
    "Anti-Fascist 70th Day": "抗战胜利70周年纪念日",
}


def import_holidays(first_year: int, last_year: int, *, actor=None) -> dict:
    """Load holidays and make-up workdays for these years from the chinese-calendar package. Idempotent:
    a second run changes nothing and records nothing."""
    from chinese_calendar import constants

    reason = f"从 chinese-calendar {_package_version()} 导入 {first_year}–{last_year} 年节假日安排"
    counts = {"holidays": 0, "makeup_workdays": 0, "changed": 0}
    wanted = {}
    for day, name in constants.holidays.items():
        if first_year <= day.year <= last_year:
            wanted[day] = (CalendarDay.Type.HOLIDAY, HOLIDAY_NAMES.get(name, name))
    for day, name in constants.workdays.items():
        if first_year <= day.year <= last_year:
            wanted[day] = (CalendarDay.Type.MAKEUP, HOLIDAY_NAMES.get(name, name))
    for day, (type_, name) in sorted(wanted.items()):
        counts["holidays" if type_ == CalendarDay.Type.HOLIDAY else "makeup_workdays"] += 1
        counts["changed"] += set_calendar_day(day, type=type_, name=name, actor=actor, reason=reason)
    return counts


def _package_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("chinesecalendar")
    except PackageNotFoundError:  # pragma: no cover
        return "?"


# ---------------------------------------------------------------- rules


def _json_safe(data: dict | None) -> dict | None:
    return None if data is None else {k: (str(v) if v is not None else None) for k, v in data.items()}


@transaction.atomic
def save_rule(rule: TimeLimitRule, *, before: dict | None, actor, reason: str) -> TimeLimitRule:
    """Create or change a time-limit rule and record who and why."""
    from django.forms.models import model_to_dict

    if not reason.strip():
        raise ValueError("修改时限规则必须说明原因")
    rule.save()
    ConfigChange.objects.create(
        subject="time_limit_rule",
        key=f"{rule.pk} {rule.name}",
        before=_json_safe(before),
        after=_json_safe(model_to_dict(rule)),
        actor=actor,
        reason=reason,
    )
    _changed()
    return rule

def _rules() -> list[TimeLimitRule]:
    return _rules_cache.get()


def _category_chain(category) -> list[int]:
    chain = []
    while category is not None:
        chain.append(category.pk)
        category = category.parent
    return chain


def rule_for(ticket) -> TimeLimitRule | None:
    """The most specific active rule matching the ticket; ties go to the higher priority, then the older rule."""
    chain = _category_chain(ticket.category)
    # 欠薪线索: a 欠薪 category, not a 咨询 (a question about the rules keeps the 咨询 limit): channels.wages.is_clue
    wage = ticket.kind != "consult" and is_wage_arrears(ticket.category)
    best, best_key = None, None
    for rule in _rules():
        score = 0
        if rule.kind:
            if rule.kind != ticket.kind:
                continue
            score += 1
        if rule.urgency:
            if rule.urgency != ticket.urgency:
                continue
            score += 1
        if rule.channel:
            if rule.channel != ticket.channel:
                continue
            score += 1
        if rule.is_complex is not None:
            if rule.is_complex != ticket.is_complex:
                continue
            score += 1
        if rule.enterprise is not None:
            if rule.enterprise != ticket.concerns_enterprise:
                continue
            score += 1
        if rule.wage_arrears is not None:
            if rule.wage_arrears != wage:
                continue
            score += 1
        if rule.category_id:
            if rule.category_id not in chain:
                continue
            score += rule.category.level  # a deeper category is more specific
        key = (score, rule.priority, -rule.pk)
        if best_key is None or key > best_key:
            best, best_key = rule, key
    return best


def add_limit(cal: WorkingCalendar, start: datetime, limit: Decimal, unit: str) -> datetime:
    if unit == Unit.CLOCK_HOURS:
        return cal.add_clock_hours(start, float(limit))
    if unit == Unit.CALENDAR_DAYS:
        return cal.add_calendar_days(start, int(limit))
    if unit == Unit.CALENDAR_MONTHS:
        return cal.add_calendar_months(start, int(limit))
    return cal.add_working_days(start, int(limit))


def warn_at(cal: WorkingCalendar, start: datetime, due: datetime, unit: str) -> datetime:
    """When a clock turns 临期: less than JIESU_SLA_WARN_RATIO of its time, or less than
    JIESU_SLA_WARN_WORKING_HOURS hours, is left — whichever comes first. For working-day limits both are
    measured in working time; for clock hours and calendar days, in clock time."""
    ratio = settings.JIESU_SLA_WARN_RATIO
    hours = timedelta(hours=settings.JIESU_SLA_WARN_WORKING_HOURS)
    if unit == Unit.WORKING_DAYS:
        by_ratio = cal.subtract_working_time(due, cal.working_time_between(start, due) * ratio)
        by_hours = cal.subtract_working_time(due, hours)
    else:
        by_ratio = due - (due - start) * ratio
        by_hours = due - hours
    return max(start, min(by_ratio, by_hours))


# ---------------------------------------------------------------- clocks on tickets

CLOCK_FIELDS = {
    Clock.SIGN: ("sign_due_at", "sign_warn_at", "sign_limit", "sign_unit"),
    Clock.CONTACT: ("contact_due_at", "contact_warn_at", "contact_limit", "contact_unit"),
    Clock.REPLY: ("reply_due_at", "reply_warn_at", "reply_limit", "reply_unit"),
    Clock.CALLBACK: ("callback_due_at", "callback_warn_at", "callback_limit", "callback_unit"),
}


def start_clocks(ticket, now: datetime, clocks) -> None:
    """Start (or restart) these clocks at `now` with the ticket's rule. Sets fields; does not save."""
    cal = working_calendar()
    ticket.sla_rule = rule = rule_for(ticket)
    for clock in clocks:
        due_field, warn_field, limit_field, unit_field = CLOCK_FIELDS[clock]
        if rule is None:
            setattr(ticket, due_field, None)
            setattr(ticket, warn_field, None)
            continue
        due = add_limit(cal, now, getattr(rule, limit_field), getattr(rule, unit_field))
        setattr(ticket, due_field, due)
        setattr(ticket, warn_field, warn_at(cal, now, due, getattr(rule, unit_field)))


def set_reply_due(ticket, due: datetime, now: datetime) -> None:
    """An approved extension: the new reply deadline, and its 临期 moment counted from now."""
    ticket.reply_due_at = due
    unit = ticket.sla_rule.reply_unit if ticket.sla_rule else Unit.WORKING_DAYS
    ticket.reply_warn_at = warn_at(working_calendar(), now, due, unit)


# Which states a clock runs in, and the field whose value stops it.
RUNNING = {
    Clock.SIGN: ({"pending_sign"}, "signed_at"),
    Clock.CONTACT: ({"pending_sign", "in_progress"}, "contacted_at"),
    Clock.REPLY: ({"pending_sign", "in_progress"}, "replied_at"),
    Clock.CALLBACK: ({"pending_callback"}, "callback_at"),
}


class Status:
    NORMAL = "normal"
    WARNING = "warning"
    OVERDUE = "overdue"
    LABELS = {"normal": "正常", "warning": "临期", "overdue": "超期"}
    ORDER = {"normal": 0, "warning": 1, "overdue": 2}


@dataclass
class ClockState:
    clock: str
    label: str
    due_at: datetime
    status: str
    remaining: timedelta

    @property
    def status_label(self) -> str:
        return Status.LABELS[self.status]

    @property
    def countdown(self) -> str:
        """剩余 2天3小时 / 超期 5小时20分."""
        seconds = abs(int(self.remaining.total_seconds()))
        days, rest = divmod(seconds, 86400)
        hours, rest = divmod(rest, 3600)
        minutes = rest // 60
        parts = (f"{days}天" if days else "") + (f"{hours}小时" if hours else "")
        if not days:
            parts += f"{minutes}分"
        return ("超期 " if self.remaining < timedelta(0) else "剩余 ") + parts


def running_clocks(ticket, now: datetime) -> list[ClockState]:
    states = []
    for clock, (running_states, stop_field) in RUNNING.items():
        due_field, warn_field, _, _ = CLOCK_FIELDS[clock]
        due = getattr(ticket, due_field)
        if ticket.state not in running_states or due is None or getattr(ticket, stop_field) is not None:
            continue
        warn = getattr(ticket, warn_field) or due
        status = Status.OVERDUE if now >= due else Status.WARNING if now >= warn else Status.NORMAL
        states.append(ClockState(clock, Clock(clock).label, due, status, due - now))
    return states


@dataclass
class ClockRow:
    """One line of the ticket page's 时限 card: a running clock, or one that stopped (on time or late)."""

    label: str
    due_at: datetime
    stopped_at: datetime | None
    running: ClockState | None

    @property
    def on_time(self) -> bool | None:
        return None if self.stopped_at is None else self.stopped_at <= self.due_at


def clock_rows(ticket, now: datetime) -> list[ClockRow]:
    running = {s.clock: s for s in running_clocks(ticket, now)}
    rows = []
    for clock, (_, stop_field) in RUNNING.items():
        due = getattr(ticket, CLOCK_FIELDS[clock][0])
        if due is None:
            continue
        rows.append(ClockRow(Clock(clock).label, due, getattr(ticket, stop_field), running.get(clock)))
    return rows


def worst_clock(ticket, now: datetime) -> ClockState | None:
    """The clock to show in a list: the most severe, then the soonest due."""
    states = running_clocks(ticket, now)
    if not states:
        return None
    return max(states, key=lambda s: (Status.ORDER[s.status], -s.due_at.timestamp()))


def _running_q(clock) -> Q:
    running_states, stop_field = RUNNING[clock]
    due_field = CLOCK_FIELDS[clock][0]
    return Q(state__in=running_states, **{f"{due_field}__isnull": False, f"{stop_field}__isnull": True})


def status_q(status: str, now: datetime) -> Q:
    """Tickets whose worst running clock has this status."""
    overdue = Q(pk__in=[])
    warning = Q(pk__in=[])
    for clock in RUNNING:
        due_field, warn_field = CLOCK_FIELDS[clock][:2]
        overdue |= _running_q(clock) & Q(**{f"{due_field}__lte": now})
        warning |= _running_q(clock) & Q(**{f"{warn_field}__lte": now})
    if status == Status.OVERDUE:
        return overdue
    if status == Status.WARNING:
        return warning & ~overdue
    return ~warning & ~overdue


# ---------------------------------------------------------------- sweep

@dataclass
class SweepResult:
    warnings: int = 0
    overdue: int = 0
    urged: int = 0
    escalated: int = 0
    seconds: float = 0.0


EVENT_OF = {
    SlaAlert.Kind.WARNING: "sla_warning",
    SlaAlert.Kind.OVERDUE: "sla_overdue",
    SlaAlert.Kind.URGE: "urge",
    SlaAlert.Kind.ESCALATE: "escalate",
}
BATCH = 4000  # × 5 parameters stays under SQLite's 32,766


def _thresholds(now: datetime) -> dict:
    cal = working_calendar()
    start_of_today = jiesu_clock.start_of_day(jiesu_clock.local_day(now))
    escalate_before = cal.subtract_working_time(now, timedelta(days=settings.JIESU_SLA_ESCALATE_WORKING_DAYS))
    return {
        SlaAlert.Kind.WARNING: ("warn", now),
        SlaAlert.Kind.OVERDUE: ("due", now),
        # 催办 on the day after the deadline was missed: the deadline lies before today's midnight.
        SlaAlert.Kind.URGE: ("due", start_of_today - timedelta(microseconds=1)),
        SlaAlert.Kind.ESCALATE: ("due", escalate_before),
    }


def sweep(now: datetime | None = None, *, dry_run: bool = False, full: bool = False) -> SweepResult:
    """Record each 临期 and 超期 once per clock and deadline, 催办 the day after a missed deadline, and
    escalate to supervisors after JIESU_SLA_ESCALATE_WORKING_DAYS working days. Safe to re-run.

    Only thresholds crossed since the last completed run are examined (`full=True` looks at everything,
    e.g. after the calendar changed); the SlaAlert constraint keeps overlapping runs from recording twice.
    """
    from jiesu.tickets.models import Ticket

    started_wall = timezone.now()
    started = _time.monotonic()
    now = now or jiesu_clock.now()
    result = SweepResult()
    counters = {
        SlaAlert.Kind.WARNING: "warnings",
        SlaAlert.Kind.OVERDUE: "overdue",
        SlaAlert.Kind.URGE: "urged",
        SlaAlert.Kind.ESCALATE: "escalated",
    }
    last = None if full else SweepRun.objects.filter(now__lte=now).order_by("-now").first()
    previous = _thresholds(last.now) if last else {}
    jobs = []  # PostgreSQL: what the database writes itself, in this order for each ticket
    for kind, (field_kind, threshold) in _thresholds(now).items():
        for clock in RUNNING:
            due_field, warn_field = CLOCK_FIELDS[clock][:2]
            field = warn_field if field_kind == "warn" else due_field
            candidates = Ticket.objects.filter(_running_q(clock), **{f"{field}__lte": threshold})
            if kind in previous:
                candidates = candidates.filter(**{f"{field}__gt": previous[kind][1]})
            candidates = candidates.order_by("pk")
            if dry_run:
                recorded = SlaAlert.objects.filter(
                    ticket=OuterRef("pk"), clock=clock, kind=kind, due_at=OuterRef(due_field)
                )
                new = candidates.filter(~Exists(recorded)).count()
                setattr(result, counters[kind], getattr(result, counters[kind]) + new)
                continue
            if connection.vendor == "postgresql":
                jobs.append((clock, kind, field, threshold, previous[kind][1] if kind in previous else None))
                continue
            after = 0
            while True:  # keyset batches: each query starts where the previous one stopped
                rows = list(
                    candidates.filter(pk__gt=after).values_list("pk", due_field, "state", "department_id")[:BATCH]
                )
                if not rows:
                    break
                after = rows[-1][0]
                recorded = _record_alerts(Ticket, rows, clock, kind, now)
                setattr(result, counters[kind], getattr(result, counters[kind]) + recorded)
    for kind, recorded in _sweep_in_database(jobs, now).items():
        setattr(result, counters[kind], getattr(result, counters[kind]) + recorded)
    result.seconds = _time.monotonic() - started
    if not dry_run:
        SweepRun.objects.create(
            now=now,
            started_at=started_wall,
            finished_at=timezone.now(),
            counts={k: v for k, v in asdict(result).items() if k != "seconds"},
        )
    return result


def _insert_alerts(rows, clock, kind, now) -> set[int]:
    """INSERT … ON CONFLICT DO NOTHING RETURNING: the tickets whose alert is new. This is what makes the
    sweep idempotent without an anti-join over a large alert table."""
    adapt = connection.ops.adapt_datetimefield_value
    table = connection.ops.quote_name(SlaAlert._meta.db_table)
    placeholders = ", ".join(["(%s, %s, %s, %s, %s)"] * len(rows))
    params = []
    for pk, due, _, _ in rows:
        params += [pk, clock, kind, adapt(due), adapt(now)]
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (ticket_id, clock, kind, due_at, created_at) VALUES {placeholders} "
            "ON CONFLICT (ticket_id, clock, kind, due_at) DO NOTHING RETURNING ticket_id",
            params,
        )
        return {row[0] for row in cursor.fetchall()}


PG_BATCH = 50_000
_NOTES = {
    SlaAlert.Kind.WARNING: "{label}时限即将到期（{due}）",
    SlaAlert.Kind.OVERDUE: "{label}已超过时限（{due}）",
    SlaAlert.Kind.URGE: "{label}超期未办，系统自动催办",
    SlaAlert.Kind.ESCALATE: "{label}超期已满{days}个工作日，升级至督办员",
}


def _sweep_in_database(jobs, now) -> Counter:
    """Run the in-database jobs on JIESU_SLA_SWEEP_WORKERS connections at once, each over its own share of the
    tickets (id modulo the number of workers), so that no two workers ever touch the same ticket or alert: no
    lock waits, no deadlocks, and each ticket still gets its alerts in the jobs' order. Inline (one share, this
    connection) inside a caller's transaction, whose writes other connections could not see."""
    workers = settings.JIESU_SLA_SWEEP_WORKERS
    if not jobs:
        return Counter()
    if workers == 1 or connection.in_atomic_block:
        return _share(jobs, now, 0, 1)
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="sla-sweep") as pool:
        futures = [pool.submit(_worker_share, jobs, now, share, workers) for share in range(workers)]
        return sum((future.result() for future in futures), Counter())


def _worker_share(jobs, now, share: int, shares: int) -> Counter:
    try:
        return _share(jobs, now, share, shares)
    finally:
        connection.close()  # the worker thread's own connection


def _share(jobs, now, share: int, shares: int) -> Counter:
    counts = Counter()
    for clock, kind, field, threshold, previous in jobs:
        counts[kind] += _record_in_database(clock, kind, field, threshold, previous, now, share=(share, shares))
    return counts


def _record_in_database(clock, kind, field, threshold, previous, now, *, share=(0, 1)) -> int:
    """PostgreSQL: the alerts and their history entries written by the database itself, one statement per batch
    of candidate tickets (INSERT … SELECT in data-modifying CTEs), instead of rows carried through Python: the
    first sweep over a large backlog is bounded by the database. The same rows as `_record_alerts` writes, and
    the same idempotence (ON CONFLICT DO NOTHING: only new alerts get an entry)."""
    from jiesu.tickets.models import Ticket, TicketEvent

    running_states, stop_field = RUNNING[clock]
    due_field = CLOCK_FIELDS[clock][0]
    quote = connection.ops.quote_name
    # The note as _record_alerts writes it: "{label}…（YYYY-MM-DD HH:MM）", the deadline in local time; data.due_at
    # as Python's isoformat() of the UTC value.
    head, sep, tail = _NOTES[kind].format(label=Clock(clock).label, due="{due}",
                                        days=settings.JIESU_SLA_ESCALATE_WORKING_DAYS).partition("{due}")
    note = "%(head)s || to_char(c.due AT TIME ZONE %(tz)s, 'YYYY-MM-DD HH24:MI') || %(tail)s" if sep else "%(head)s"
    iso_due = ("to_char(c.due AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS') || CASE WHEN "
               "date_part('microseconds', c.due)::bigint %% 1000000 <> 0 THEN to_char(c.due AT TIME ZONE 'UTC', '.US') "
               "ELSE '' END || '+00:00'")
    since = f"AND t.{quote(field)} > %(previous)s" if previous is not None else ""
    # 催办 marks the ticket 督办; escalation dates it (as _after_alerts does on the other path).
    flag = {
        SlaAlert.Kind.URGE: f""",
        flag AS (UPDATE {Ticket._meta.db_table} SET supervised = TRUE WHERE id IN (SELECT ticket_id FROM new))""",
        SlaAlert.Kind.ESCALATE: f""",
        flag AS (UPDATE {Ticket._meta.db_table} SET escalated_at = %(now)s
                 WHERE id IN (SELECT ticket_id FROM new) AND escalated_at IS NULL)""",
    }.get(kind, "")
    sql = f"""
        WITH cand AS (
            SELECT t.id, t.{quote(due_field)} AS due, t.state, t.department_id FROM {Ticket._meta.db_table} t
            WHERE t.{quote('state')} = ANY(%(states)s) AND t.{quote(due_field)} IS NOT NULL AND t.{quote(stop_field)} IS NULL
              AND t.{quote(field)} <= %(threshold)s {since} AND t.id > %(after)s
              AND mod(t.id, %(shares)s) = %(share)s
            ORDER BY t.id LIMIT %(batch)s),
        new AS (
            INSERT INTO {SlaAlert._meta.db_table} (ticket_id, clock, kind, due_at, created_at)
            SELECT id, %(clock)s, %(kind)s, due, %(now)s FROM cand
            ON CONFLICT (ticket_id, clock, kind, due_at) DO NOTHING RETURNING ticket_id),
        ev AS (
            INSERT INTO {TicketEvent._meta.db_table}
                (ticket_id, action, from_state, to_state, actor_id, actor_department_id, department_id, note, data,
                 created_at)
            SELECT c.id, %(action)s, c.state, c.state, NULL, NULL, c.department_id, {note},
                   jsonb_build_object('clock', %(clock)s::text, 'due_at', {iso_due}), %(now)s
            FROM cand c JOIN new n ON n.ticket_id = c.id
            RETURNING ticket_id){flag}
        SELECT c.id, CASE WHEN ev.ticket_id IS NOT NULL THEN c.due END, c.state, c.department_id,
               ev.ticket_id IS NOT NULL
        FROM cand c LEFT JOIN ev ON ev.ticket_id = c.id ORDER BY c.id"""
    params = {"states": sorted(running_states), "threshold": threshold, "previous": previous, "batch": PG_BATCH,
              "clock": clock, "kind": kind, "now": now, "action": EVENT_OF[kind], "tz": settings.TIME_ZONE,
              "head": head, "tail": tail, "share": share[0], "shares": share[1]}
    recorded, after = 0, 0
    while True:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, {**params, "after": after})
            rows = cursor.fetchall()
            if not rows:
                return recorded
            after = rows[-1][0]
            new = [(pk, due, state, department_id) for pk, due, state, department_id, is_new in rows if is_new]
            _after_alerts(Ticket, new, clock, kind, now, flagged=True)
            recorded += len(new)


def _after_alerts(Ticket, rows, clock, kind, now, *, flagged: bool = False) -> None:
    """What follows new alerts (their history entries written): the observers, and unless already `flagged` (in
    the same statement), the 督办 and escalation flags."""
    from jiesu.tickets import lifecycle

    if not rows:
        return
    lifecycle.alerted(EVENT_OF[kind], [lifecycle.Alert(pk, clock, due, state, department_id)
                                       for pk, due, state, department_id in rows], now)
    if flagged:
        return
    ids = [pk for pk, _, _, _ in rows]
    if kind == SlaAlert.Kind.URGE:
        Ticket.objects.filter(pk__in=ids).update(supervised=True)
    if kind == SlaAlert.Kind.ESCALATE:
        Ticket.objects.filter(pk__in=ids, escalated_at__isnull=True).update(escalated_at=now)


@transaction.atomic
def _record_alerts(Ticket, rows, clock, kind, now) -> int:
    from jiesu.tickets.models import TicketEvent

    new = _insert_alerts(rows, clock, kind, now)
    rows = [row for row in rows if row[0] in new]
    label = Clock(clock).label
    TicketEvent.objects.bulk_create(
        [
            TicketEvent(
                ticket_id=pk,
                action=EVENT_OF[kind],
                from_state=state,
                to_state=state,
                department_id=department_id,
                note=_NOTES[kind].format(
                    label=label,
                    due=timezone.localtime(due).strftime("%Y-%m-%d %H:%M"),
                    days=settings.JIESU_SLA_ESCALATE_WORKING_DAYS,
                ),
                data={"clock": clock, "due_at": due.isoformat()},
                created_at=now,
            )
            for pk, due, state, department_id in rows
        ]
    )
    _after_alerts(Ticket, rows, clock, kind, now)
    return len(rows)
