"""KPI dashboard queries over N synthetic tickets on PostgreSQL; prints JSON.

Needs DATABASE_URL pointing at an empty PostgreSQL database (`make bench-kpi` starts a throwaway cluster).
Builds a city-sized directory (a government with 16 bureaus and 20 streets of 5 communities each, 20
regions, 50 leaf categories), inserts N tickets spread over the two years before now with one
INSERT … SELECT generate_series (open, closed, late, unreached and 作废 ones in realistic shares), rebuilds
the daily rollup inside the database, then times each dashboard query for several slices (median of 5
runs after one warm-up) and checks that the rollup's figures equal a recomputation from raw tickets.

    python benchmarks/kpi.py [--tickets 1000000] [--check/--no-check]
"""

import argparse
import json
import os
import sys
import time
from datetime import timedelta

from synthetic import insert_tickets, median_ms, postgres_ready

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jiesu.settings")
os.environ.setdefault("JIESU_DEMO", "1")





def _directory():
    from jiesu.directory.models import Category, Department, Region

    government = Department.objects.create(code="G", name="市人民政府", kind=Department.Kind.GOVERNMENT)
    Department.objects.create(code="H", name="12345热线中心", kind=Department.Kind.HOTLINE_CENTER)
    bureaus = [Department.objects.create(code=f"B{i:02}", name=f"委办局{i}", kind=Department.Kind.BUREAU,
                                         parent=government) for i in range(16)]
    streets, communities, regions = [], [], []
    for i in range(20):
        region = Region.objects.create(code=f"R{i:02}", name=f"街道区划{i}", level=Region.Level.STREET)
        street = Department.objects.create(code=f"S{i:02}", name=f"街道{i}", kind=Department.Kind.STREET,
                                           parent=government, region=region)
        regions.append(region)
        streets.append(street)
        communities.extend(Department.objects.create(code=f"S{i:02}C{j}", name=f"街道{i}社区{j}",
                                                     kind=Department.Kind.COMMUNITY, parent=street)
                           for j in range(5))
    leaves = []
    for i in range(10):
        top = Category.objects.create(code=f"{i:02}", name=f"大类{i}")
        leaves.extend(Category.objects.create(code=f"{i:02}{j:02}", name=f"小类{i}-{j}", parent=top,
                                              default_department=bureaus[(i * 5 + j) % 16]) for j in range(5))
    return government, bureaus, streets, communities, regions, leaves


def placement(directory) -> dict[str, str]:
    """SQL over the series value `g` for a ticket's unit, region and category in the city of `_directory`: most
    go to the category's bureau, a third to the street of the caller's region, some on down to a community —
    the shape of a district's real traffic."""
    government, bureaus, streets, communities, regions, leaves = directory

    def array(objs):
        return "ARRAY[" + ",".join(str(o.pk) for o in objs) + "]"

    leaf = f"(mod(g * 7, {len(leaves)}))"
    street = f"(mod(g * 13, {len(streets)}))"
    return {
        "department_id": (f"CASE WHEN mod(g, 3) = 0 THEN ({array(streets)})[1 + {street}] "
                          f"WHEN mod(g, 10) = 1 THEN ({array(communities)})[1 + {street} * 5 + mod(g, 5)] "
                          f"ELSE ({array(bureaus)})[1 + mod({leaf}, {len(bureaus)})] END"),
        "region_id": f"({array(regions)})[1 + {street}]",
        "category_id": f"({array(leaves)})[1 + {leaf}]",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument("--check", action=argparse.BooleanOptionalAction, default=True,
                        help="compare every measured slice with a recomputation from raw tickets")
    args = parser.parse_args()
    if not postgres_ready("kpi", "make bench-kpi"):
        return
    from django.db import connection
    from django.utils import timezone

    from jiesu.kpi import services
    from jiesu.kpi.models import KpiDaily

    government, bureaus, streets, communities, regions, leaves = _directory()
    now = timezone.now()
    span_minutes = 730 * 24 * 60

    g = "g"
    dispatched = f"(%(start)s + ({g}::bigint * {span_minutes} / %(n)s) * interval '1 minute' + interval '10 minutes')"
    state = (f"CASE WHEN mod({g}, 25) = 0 THEN 'invalid' WHEN mod({g}, 20) = 1 THEN 'in_progress' "
             f"WHEN mod({g}, 20) = 2 THEN 'pending_callback' ELSE 'closed' END")
    closed = f"mod({g}, 20) NOT IN (1, 2) AND mod({g}, 25) <> 0"
    replied = f"(mod({g}, 20) <> 1 AND mod({g}, 25) <> 0)"
    special = {
        "number": f"'K' || lpad({g}::text, 12, '0')",
        "channel": f"(ARRAY['phone','phone','phone','web','mobile','enterprise','110','api','npc'])[1 + mod({g}, 9)]",
        "kind": f"(ARRAY['consult','help','complaint','complaint','report','suggestion','praise'])[1 + mod({g}, 7)]",
        "urgency": "'normal'", "title": "'压测工单'", "content": "'压测诉求内容'",
        "state": state,
        **placement((government, bureaus, streets, communities, regions, leaves)),
        "created_at": f"{dispatched} - interval '10 minutes'", "updated_at": dispatched,
        "dispatched_at": dispatched,
        "sign_due_at": f"{dispatched} + interval '2 hours'",
        "signed_at": f"{dispatched} + mod({g}, 170) * interval '1 minute'",
        "contact_due_at": f"{dispatched} + interval '24 hours'",
        "contacted_at": f"{dispatched} + mod({g} * 3, 26) * interval '1 hour'",
        "reply_due_at": f"{dispatched} + interval '7 days'",
        "replied_at": f"CASE WHEN {replied} THEN {dispatched} + mod({g} * 5, 9) * interval '1 day' END",
        "reply_result": f"CASE WHEN {replied} THEN 'resolved' ELSE '' END",
        "callback_at": f"CASE WHEN {closed} THEN {dispatched} + (mod({g} * 5, 9) + 1) * interval '1 day' END",
        "closed_at": f"CASE WHEN {closed} THEN {dispatched} + (mod({g} * 5, 9) + 1) * interval '1 day' END",
        "callback_status": f"CASE WHEN NOT ({closed}) THEN '' WHEN mod({g}, 11) = 0 THEN 'unreachable' "
                           f"WHEN mod({g}, 23) = 0 THEN 'declined' ELSE 'reached' END",
        "satisfaction": f"CASE WHEN NOT ({closed}) OR mod({g}, 11) = 0 OR mod({g}, 23) = 0 THEN '' "
                        f"WHEN mod({g}, 13) < 10 THEN 'satisfied' WHEN mod({g}, 13) < 12 THEN 'basic' "
                        f"ELSE 'unsatisfied' END",
        "resolved": f"CASE WHEN NOT ({closed}) OR mod({g}, 11) = 0 OR mod({g}, 23) = 0 THEN NULL "
                    f"ELSE mod({g}, 17) < 15 END",
        "invalid_reason": f"CASE WHEN mod({g}, 25) = 0 THEN 'invalid' ELSE '' END",
        "invalidated_at": f"CASE WHEN mod({g}, 25) = 0 THEN {dispatched} + interval '1 hour' END",
    }
    insert_seconds = insert_tickets(special, {"start": now - timedelta(days=730), "n": args.tickets})

    started = time.perf_counter()
    rollup_rows = services.rebuild()
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {KpiDaily._meta.db_table}")
    rebuild_seconds = time.perf_counter() - started

    today = timezone.localdate()
    month = services.Filters(*services.period_bounds("month", today - timedelta(days=40)), period="month")
    year = services.Filters(today - timedelta(days=364), today)
    slices = {
        "city_month": month,
        "city_year": year,
        "bureau_month": month.with_(department=bureaus[3]),
        "street_with_communities_year": year.with_(department=streets[5]),
        "region_category_month": month.with_(region=regions[2], category=leaves[7].parent),
        "channel_month": month.with_(channel="web"),
    }
    queries = {
        "summary": services.summary,
        "ranking": services.ranking,
        "trend": services.trend,
        "by_category": lambda f: services.breakdown(f, "category"),
        "by_region": lambda f: services.breakdown(f, "region"),
    }
    results, mismatches = {}, []
    for name, filters in slices.items():
        timings = {q: median_ms(lambda fn=fn, f=filters: fn(f.with_()))
                   for q, fn in queries.items()}
        timings["dashboard_total"] = round(sum(timings.values()), 1)
        if args.check:
            started = time.perf_counter()
            raw = services.raw_sums(filters)
            timings["raw_recompute_summary"] = round((time.perf_counter() - started) * 1000, 1)
            if raw != services.sums(filters):
                mismatches.append(name)
        results[name] = timings
    print(json.dumps({
        "benchmark": "kpi",
        "database": "postgresql",
        "tickets": args.tickets,
        "insert_s": round(insert_seconds, 1),
        "rollup_rebuild_s": round(rebuild_seconds, 1),
        "rollup_rows": rollup_rows,
        "median_ms": results,
        "rollup_equals_raw": (not mismatches) if args.check else None,
        "mismatches": mismatches,
    }, ensure_ascii=False))


if __name__ == "__main__":
    sys.exit(main())
