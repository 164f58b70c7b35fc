"""SLA sweep over a large pool of open tickets (default 1,000,000) on PostgreSQL; prints JSON.

Needs DATABASE_URL pointing at an empty PostgreSQL database (`make bench-sla` starts a throwaway cluster).
Tickets are inserted with one INSERT … SELECT generate_series so that about 10% of the running clocks are
overdue and a few per cent are 临期; then the sweep runs twice: the first run records every alert, the
second (one minute later, as from cron) and a third (an hour after that) only look at what crossed since.

    python benchmarks/sla_sweep.py [--tickets 1000000]
"""

import argparse
import json
import os
import sys
from datetime import timedelta

from synthetic import DEADLINES, insert_tickets, postgres_ready

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jiesu.settings")
os.environ.setdefault("JIESU_DEMO", "1")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=1_000_000)
    args = parser.parse_args()
    if not postgres_ready("sla_sweep", "make bench-sla"):
        return
    from django.conf import settings
    from django.utils import timezone

    from jiesu.directory.models import Department
    from jiesu.sla import services as sla
    from jiesu.sla.models import SlaAlert
    from jiesu.tickets.models import TicketEvent

    department, _ = Department.objects.get_or_create(code="BENCH", defaults={"name": "压测单位", "kind": "bureau"})
    now = timezone.now()

    # Every NOT NULL column gets a value: blanks for text, FALSE for flags, and these expressions.
    g = "g"
    special = {
        "number": f"'B' || lpad({g}::text, 12, '0')",
        "channel": "'phone'", "kind": "'complaint'", "urgency": "'normal'",
        "title": "'压测工单'", "content": "'路灯不亮，请尽快维修。'",
        "state": f"CASE WHEN mod({g}, 10) = 0 THEN 'pending_sign' WHEN mod({g}, 10) = 1 THEN 'pending_callback' "
                 "ELSE 'in_progress' END",
        "department_id": str(department.pk),
        "created_at": "%(now)s - interval '3 days'", "updated_at": "%(now)s - interval '3 days'",
        "dispatched_at": "%(now)s - interval '3 days'",
        "signed_at": f"CASE WHEN mod({g}, 10) = 0 THEN NULL ELSE %(now)s - interval '2 days' END",
        "replied_at": f"CASE WHEN mod({g}, 10) = 1 THEN %(now)s - interval '1 day' ELSE NULL END",
        # Reply deadlines spread from 200 h ago to 800 h ahead: 20% overdue (some past escalation), ~2.4% 临期.
        **DEADLINES,
    }
    insert_seconds = insert_tickets(special, {"now": now, "n": args.tickets})

    first = sla.sweep(now)
    second = sla.sweep(now + timedelta(minutes=1))  # the next cron run, one minute later
    third = sla.sweep(now + timedelta(hours=1, minutes=1))  # after an hour without a run
    print(json.dumps({
        "benchmark": "sla_sweep",
        "database": "postgresql",
        "tickets": args.tickets,
        "workers": settings.JIESU_SLA_SWEEP_WORKERS,
        "insert_s": round(insert_seconds, 1),
        "first_run": {
            "seconds": round(first.seconds, 2),
            "tickets_per_s": round(args.tickets / first.seconds),
            "warnings": first.warnings, "overdue": first.overdue, "urged": first.urged, "escalated": first.escalated,
        },
        "next_minute_run": {
            "seconds": round(second.seconds, 3),
            "new_alerts": second.warnings + second.overdue + second.urged + second.escalated,
        },
        "after_an_hour_run": {
            "seconds": round(third.seconds, 3),
            "new_alerts": third.warnings + third.overdue + third.urged + third.escalated,
        },
        "alerts": SlaAlert.objects.count(),
        "events": TicketEvent.objects.count(),
    }, ensure_ascii=False))


if __name__ == "__main__":
    sys.exit(main())
