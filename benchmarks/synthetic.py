"""Bulk synthetic tickets for the PostgreSQL benchmarks: one INSERT … SELECT generate_series (imported by
kpi.py and sla_sweep.py; not a benchmark itself)."""

import json
import os
import statistics
import time

# Deadlines spread around %(now)s over the series value g: each clock has some tickets overdue (past escalation
# for the reply clock), some 临期 and most running normally.
DEADLINES = {
    "reply_due_at": "%(now)s + (mod(g, 1000) - 200) * interval '1 hour'",
    "reply_warn_at": "%(now)s + (mod(g, 1000) - 224) * interval '1 hour'",
    "contact_due_at": "%(now)s + (mod(g, 500) - 50) * interval '1 hour'",
    "contact_warn_at": "%(now)s + (mod(g, 500) - 60) * interval '1 hour'",
    "sign_due_at": "%(now)s + (mod(g, 100) - 10) * interval '1 hour'",
    "sign_warn_at": "%(now)s + (mod(g, 100) - 11) * interval '1 hour'",
    "callback_due_at": "%(now)s + (mod(g, 200) - 20) * interval '1 hour'",
    "callback_warn_at": "%(now)s + (mod(g, 200) - 25) * interval '1 hour'",
}


def median_ms(fn, *, runs: int = 5, digits: int = 1) -> float:
    """fn's median wall time over `runs` calls after one warm-up, in milliseconds."""
    fn()
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return round(statistics.median(times) * 1000, digits)


def insert_tickets(special: dict[str, str], params: dict) -> float:
    """Insert params["n"] tickets; `special` gives an SQL expression (over the series value `g` and the
    params) per column, every other NOT NULL column gets a blank or FALSE. Returns the seconds it took,
    ANALYZE included."""
    from django.db import connection

    from jiesu.tickets.models import Ticket

    columns, values = [], []
    for field in Ticket._meta.concrete_fields:
        if field.primary_key:
            continue
        columns.append(connection.ops.quote_name(field.column))
        if field.attname in special:
            values.append(special[field.attname])
        elif field.null:
            values.append("NULL")
        elif field.get_internal_type() == "BooleanField":
            values.append("FALSE")
        elif field.get_internal_type().endswith("IntegerField"):
            values.append("0")
        else:
            values.append("''")
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {Ticket._meta.db_table} ({', '.join(columns)}) "
            f"SELECT {', '.join(values)} FROM generate_series(1, %(n)s) AS g",
            params,
        )
        cursor.execute(f"ANALYZE {Ticket._meta.db_table}")
    return time.perf_counter() - started


def postgres_ready(benchmark: str, target: str) -> bool:
    """Django set up on the PostgreSQL of DATABASE_URL, migrated. Without one, the benchmark's JSON line says it was
    skipped and which make target starts a throwaway cluster, and this returns False."""
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        print(json.dumps({"benchmark": benchmark, "skipped": f"needs DATABASE_URL=postgres://… ({target})"},
                         ensure_ascii=False))
        return False
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    return True
