"""Monthly partitioning at megacity scale, measured: the same tickets and history in the shipped tables and in
tables partitioned by month of `created_at`, and the product's own list, KPI and sweep queries timed on each.
Prints JSON (medians of 5 runs after one warm-up; docs/scaling.md quotes them).

Needs DATABASE_URL pointing at an empty PostgreSQL database (`make bench-partitioning` starts a throwaway cluster).

- Data: N tickets (default 10,000,000: about eleven months of a megacity's 30,000 a day) spread evenly over
  `--days` before now, in the city directory of benchmarks/kpi.py. As in a real centre at steady state only the
  last ten days are still open (with their clocks running, some 临期 or 超期); older ones are closed (4 % 作废),
  with callback results. One history entry per ticket (its registration) and a 重办 entry for 2 %.
- `plain`: the tables as migrations make them. `part`: tickets_ticket and tickets_ticketevent partitioned by
  month (RANGE on created_at), their indexes re-created on the partitioned parents; the primary and unique keys
  then must include created_at (PostgreSQL's rule), so nothing can declare a foreign key to a ticket by id
  alone — docs/scaling.md says what that means. The sweep's own tables get copies in the schema.
- The queries are the product's: Django's ORM runs unchanged with `search_path` set to one schema or the other.

    python benchmarks/partitioning.py [--tickets 10000000] [--days 330]
"""

import argparse
import json
import os
import sys
import time
from datetime import date, timedelta

from kpi import _directory, placement
from synthetic import insert_tickets, median_ms, postgres_ready

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jiesu.settings")
os.environ.setdefault("JIESU_DEMO", "1")

PARTITIONED = ("tickets_ticket", "tickets_ticketevent")
COPIED = ("sla_slaalert", "sla_sweeprun")  # written by the sweep: each schema gets its own




def _tickets(directory, n: int, days: int, now) -> float:
    g = "g"
    at = f"(%(start)s + ({g}::bigint * {days * 24 * 60} / %(n)s) * interval '1 minute')"
    dispatched = f"({at} + interval '10 minutes')"
    is_open = f"(%(n)s - {g} < %(open)s)"  # the last ten days
    state = (f"CASE WHEN {is_open} THEN (CASE WHEN mod({g}, 10) = 0 THEN 'pending_sign' "
             f"WHEN mod({g}, 10) = 1 THEN 'pending_callback' ELSE 'in_progress' END) "
             f"WHEN mod({g}, 25) = 0 THEN 'invalid' ELSE 'closed' END")
    closed = f"(NOT {is_open} AND mod({g}, 25) <> 0)"
    signed = f"NOT ({is_open} AND mod({g}, 10) = 0)"
    replied = f"({closed} OR ({is_open} AND mod({g}, 10) = 1))"
    reply_days = f"(CASE WHEN mod({g}, 7) = 0 THEN 3 ELSE 15 END)"  # some short limits, so some are overdue
    special = {
        "number": f"to_char({at} AT TIME ZONE 'Asia/Shanghai', 'YYYYMMDD') || lpad({g}::text, 8, '0')",
        "channel": f"(ARRAY['phone','phone','phone','web','mobile','enterprise','110','api'])[1 + mod({g}, 8)]",
        "kind": f"(ARRAY['consult','help','complaint','complaint','report','suggestion','praise'])[1 + mod({g}, 7)]",
        "urgency": "'normal'", "title": "'压测工单'", "content": "'压测诉求内容：小区路灯不亮'",
        "state": state,
        **placement(directory),
        "created_at": at, "updated_at": dispatched, "dispatched_at": dispatched,
        "sign_due_at": f"{dispatched} + interval '2 hours'",
        "sign_warn_at": f"{dispatched} + interval '90 minutes'",
        "signed_at": f"CASE WHEN {signed} THEN {dispatched} + mod({g}, 110) * interval '1 minute' END",
        "contact_due_at": f"{dispatched} + interval '24 hours'",
        "contact_warn_at": f"{dispatched} + interval '20 hours'",
        "contacted_at": f"CASE WHEN {signed} AND mod({g}, 9) <> 0 THEN {dispatched} + mod({g}, 20) * interval '1 hour' END",
        "reply_due_at": f"{dispatched} + {reply_days} * interval '1 day'",
        "reply_warn_at": f"{dispatched} + ({reply_days} - 1) * interval '1 day'",
        "replied_at": f"CASE WHEN {replied} THEN {dispatched} + mod({g}, 3) * interval '1 day' END",
        "reply_result": f"CASE WHEN {replied} THEN 'resolved' ELSE '' END",
        "callback_due_at": f"CASE WHEN {replied} THEN {dispatched} + (mod({g}, 3) + 3) * interval '1 day' END",
        "callback_warn_at": f"CASE WHEN {replied} THEN {dispatched} + (mod({g}, 3) + 2) * interval '1 day' END",
        "callback_at": f"CASE WHEN {closed} THEN {dispatched} + (mod({g}, 3) + 1) * interval '1 day' END",
        "closed_at": f"CASE WHEN {closed} THEN {dispatched} + (mod({g}, 3) + 1) * interval '1 day' END",
        "callback_status": f"CASE WHEN NOT {closed} THEN '' WHEN mod({g}, 11) = 0 THEN 'unreachable' ELSE 'reached' END",
        "satisfaction": f"CASE WHEN NOT {closed} OR mod({g}, 11) = 0 THEN '' WHEN mod({g}, 13) < 10 THEN 'satisfied' "
                        f"WHEN mod({g}, 13) < 12 THEN 'basic' ELSE 'unsatisfied' END",
        "resolved": f"CASE WHEN NOT {closed} OR mod({g}, 11) = 0 THEN NULL ELSE mod({g}, 17) < 15 END",
        "invalid_reason": f"CASE WHEN mod({g}, 25) = 0 AND NOT {is_open} THEN 'invalid' ELSE '' END",
        "invalidated_at": f"CASE WHEN mod({g}, 25) = 0 AND NOT {is_open} THEN {dispatched} + interval '1 hour' END",
    }
    return insert_tickets(special, {"start": now - timedelta(days=days), "n": n, "open": n * 10 // days})


def _events(cursor) -> float:
    started = time.perf_counter()
    cursor.execute("""
        INSERT INTO tickets_ticketevent (ticket_id, action, from_state, to_state, actor_id, actor_department_id,
                                         department_id, note, data, created_at)
        SELECT id, 'create', '', 'pending_dispatch', NULL::integer, NULL::integer, department_id, '', '{}'::jsonb, created_at
        FROM tickets_ticket
        UNION ALL
        SELECT id, 'redo', 'pending_callback', 'in_progress', NULL::integer, NULL::integer, department_id, '回访不满意，重办',
               '{}'::jsonb, closed_at
        FROM tickets_ticket WHERE closed_at IS NOT NULL AND mod(id, 50) = 0""")
    cursor.execute("ANALYZE tickets_ticketevent")
    return time.perf_counter() - started


def _months(first: date, last: date):
    month = first.replace(day=1)
    while month <= last:
        following = (month + timedelta(days=32)).replace(day=1)
        yield month, following
        month = following


def _partitioned_copy(cursor, first: date, last: date) -> dict:
    """Schema `part`: the partitioned tables, filled from the plain ones. Returns seconds per step."""
    seconds = {}
    cursor.execute("CREATE SCHEMA part")
    for table in COPIED:
        cursor.execute(f"CREATE TABLE part.{table} (LIKE public.{table} INCLUDING ALL)")
    for table in PARTITIONED:
        started = time.perf_counter()
        # The id keeps drawing from the plain table's sequence (new rows from the sweep get unique ids).
        cursor.execute(f"CREATE TABLE part.{table} (LIKE public.{table} INCLUDING DEFAULTS INCLUDING STORAGE) "
                       "PARTITION BY RANGE (created_at)")
        cursor.execute(f"ALTER TABLE part.{table} ALTER COLUMN id SET DEFAULT "
                       f"nextval(pg_get_serial_sequence('public.{table}', 'id'))")
        for start, end in _months(first, last):
            cursor.execute(f"CREATE TABLE part.{table}_{start:%Y%m} PARTITION OF part.{table} "
                           f"FOR VALUES FROM ('{start.isoformat()}') TO ('{end.isoformat()}')")
            if table == "tickets_ticket":
                cursor.execute(f"ALTER TABLE part.{table}_{start:%Y%m} SET (fillfactor = 85)")
        cursor.execute(f"INSERT INTO part.{table} SELECT * FROM public.{table}")
        seconds[f"copy_{table}_s"] = round(time.perf_counter() - started, 1)
        started = time.perf_counter()
        cursor.execute(f"ALTER TABLE part.{table} ADD PRIMARY KEY (id, created_at)")
        cursor.execute("SELECT indexdef, indexname FROM pg_indexes WHERE schemaname = 'public' AND tablename = %s "
                       "AND indexname NOT LIKE '%%pkey'", [table])
        for definition, name in cursor.fetchall():
            definition = definition.replace(f" ON public.{table} ", f" ON part.{table} ").replace(
                f"INDEX {name} ", f"INDEX {name}_p ")
            if definition.startswith("CREATE UNIQUE"):  # a unique key must contain the partition key
                definition = definition[: definition.rindex(")")] + ", created_at)"
            cursor.execute(definition)
        cursor.execute(f"ANALYZE part.{table}")
        seconds[f"index_{table}_s"] = round(time.perf_counter() - started, 1)
    # The foreign keys that can still be declared: to the directory, the users — not to a ticket by id alone.
    for table in PARTITIONED + COPIED:
        cursor.execute("SELECT conname, pg_get_constraintdef(oid), confrelid::regclass::text FROM pg_constraint "
                       "WHERE conrelid = %s::regclass AND contype = 'f'", [f"public.{table}"])
        for name, definition, target in cursor.fetchall():
            if target.rpartition(".")[2] not in PARTITIONED:
                cursor.execute(f"ALTER TABLE part.{table} ADD CONSTRAINT {name}_p {definition}")
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=10_000_000)
    parser.add_argument("--days", type=int, default=330)
    args = parser.parse_args()
    if not postgres_ready("partitioning", "make bench-partitioning"):
        return
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.utils import timezone

    from jiesu.core import clock
    from jiesu.directory.models import Department, Role, Staff, StaffRole
    from jiesu.kpi import services as kpi
    from jiesu.sla import services as sla
    from jiesu.tickets.models import Ticket, TicketEvent
    from jiesu.tickets.queries import TicketFilter, apply_filter

    directory = _directory()
    bureaus = directory[1]
    now = timezone.now()
    built = {"insert_tickets_s": round(_tickets(directory, args.tickets, args.days, now), 1)}
    with connection.cursor() as cursor:
        built["insert_events_s"] = round(_events(cursor), 1)
        first_day = clock.local_day(now - timedelta(days=args.days + 1))
        built.update(_partitioned_copy(cursor, first_day, clock.local_day(now) + timedelta(days=62)))
        cursor.execute("SELECT pg_total_relation_size('public.tickets_ticket'), "
                       "pg_total_relation_size('public.tickets_ticketevent')")
        sizes = cursor.fetchone()
        built["plain_mb"] = {"tickets": sizes[0] // 2**20, "events": sizes[1] // 2**20}

    dispatcher = get_user_model().objects.create_user("bench_paidan")
    staff = Staff.objects.create(user=dispatcher, department=Department.objects.get(code="H"))
    StaffRole.objects.create(staff=staff, role=Role.DISPATCHER)
    today = clock.local_day(now)
    month_start, month_end = kpi.period_bounds("month", today - timedelta(days=40))
    month = kpi.Filters(month_start, month_end, period="month")
    some = Ticket.objects.order_by("-pk").values_list("pk", "number")[min(5000, args.tickets // 2)]  # a recent one

    def page(**filters):
        rows = Ticket.objects.visible_to(dispatcher).select_related("region", "category", "department")
        rows = apply_filter(rows, TicketFilter(**filters), dispatcher)
        return rows.count(), list(rows[:20])

    queries = {
        "list_newest_page": lambda: page(),
        "list_one_month": lambda: page(created_from=month_start.isoformat(), created_to=month_end.isoformat()),
        "list_bureau_in_progress": lambda: page(department=bureaus[3].code, state="in_progress"),
        "list_overdue": lambda: page(sla="overdue"),
        "find_by_number": lambda: page(q=some[1]),
        "ticket_history": lambda: list(TicketEvent.objects.filter(ticket_id=some[0])),
        "kpi_raw_month": lambda: kpi.raw_sums(month),
        "kpi_satisfied_month": lambda: kpi.tickets_for("satisfied", month).count(),
        "kpi_redo_month": lambda: kpi.redo_figures(month),
    }
    # The sweep's worker connections would not carry this connection's search_path: one connection here.
    settings.JIESU_SLA_SWEEP_WORKERS = 1
    results = {}
    for schema in ("public", "part"):
        with connection.cursor() as cursor:
            cursor.execute(f"SET search_path TO {schema}, public")
        timings = {name: median_ms(fn) for name, fn in queries.items()}
        first = sla.sweep(now)
        timings["sweep_first_run_s"] = round(first.seconds, 1)
        timings["sweep_alerts"] = first.warnings + first.overdue + first.urged + first.escalated
        timings["sweep_next_minute_ms"] = round(sla.sweep(now + timedelta(minutes=1)).seconds * 1000, 1)
        results["plain" if schema == "public" else "partitioned"] = timings
    with connection.cursor() as cursor:
        cursor.execute("SET search_path TO public")
    print(json.dumps({
        "benchmark": "partitioning",
        "database": "postgresql",
        "tickets": args.tickets,
        "days": args.days,
        "open_tickets": Ticket.objects.exclude(state__in=["closed", "invalid"]).count(),
        "build": built,
        "median_ms": results,
    }, ensure_ascii=False))


if __name__ == "__main__":
    sys.exit(main())
