"""我的待办 counts and 工单查询's multi-word search over 1,000,000 open tickets on PostgreSQL; prints JSON.

Needs DATABASE_URL pointing at an empty PostgreSQL database (`make bench-todo` starts a throwaway cluster).
Tickets (one INSERT … SELECT generate_series) are spread over 300 units in every open state, with texts made of
20 matters × 50 places, deadlines spread so some are 临期 and 超期; their search index is built by the product's
own code (tickets.search.document). Then, each timed 15 times (median and p90, milliseconds):

- counts: worklists.counts for a handler of one unit (the issue's target: median < 50 ms), a dispatcher, an
  operator and a supervisor (each one SQL statement);
- search: the 工单查询 page's two statements (count, and the first 20 newest) for a dispatcher, for several words
  together, one word, a phone number and its last four digits.

    python benchmarks/worklists_search.py [--tickets 1000000] [--runs 15]
"""

import argparse
import json
import os
import statistics
import sys
import time

from synthetic import DEADLINES, insert_tickets, postgres_ready

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jiesu.settings")
os.environ.setdefault("JIESU_DEMO", "1")

MATTERS = ["路灯不亮", "井盖缺失", "噪音扰民", "违章停车", "垃圾清运不及时", "供暖不热", "停水", "电梯故障",
           "占道经营", "油烟污染", "施工扰民", "树木倒伏", "道路破损", "积水严重", "公交线路调整", "物业收费",
           "拖欠工资", "学校招生", "医保报销", "社保缴费"]
PLACES = [f"{name}{kind}" for name in ("幸福里", "东湖路", "明湖街", "滨江一号", "梧桐苑", "金桂园", "青年路",
                                         "翠湖花园", "光明巷", "新华街") for kind in ("小区", "北门", "东侧", "3号楼", "路口")]
UNITS = 300


def _timed(fn, runs: int) -> dict:
    fn()  # warm
    seconds = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        seconds.append(time.perf_counter() - started)
    seconds.sort()
    return {"median_ms": round(statistics.median(seconds) * 1000, 1),
            "p90_ms": round(seconds[int(len(seconds) * 0.9) - 1] * 1000, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--explain", action="store_true", help="print the plans of the timed statements to stderr")
    args = parser.parse_args()
    if not postgres_ready("worklists_search", "make bench-todo"):
        return
    from django.db import connection
    from django.utils import timezone

    from jiesu.directory.models import Department
    from jiesu.directory.tests.factories import make_staff
    from jiesu.tickets import search, worklists
    from jiesu.tickets.models import Ticket, TicketAssignment
    from jiesu.tickets.queries import TicketFilter, apply_filter

    hotline = Department.objects.create(code="H", name="12345热线中心", kind=Department.Kind.HOTLINE_CENTER)
    units = Department.objects.bulk_create(
        [Department(code=f"U{i:03}", name=f"承办单位{i}", kind=Department.Kind.BUREAU) for i in range(UNITS)])
    first = min(u.pk for u in units)
    assert sorted(u.pk for u in units) == list(range(first, first + UNITS))
    handler = make_staff("handler", units[7], username="handler")
    people = {"handler": handler,
              "dispatcher": make_staff("dispatcher", hotline, username="dispatcher"),
              "operator": make_staff("operator", hotline, username="operator"),
              "supervisor": make_staff("supervisor", hotline, username="supervisor")}
    now = timezone.now()
    matters = "(ARRAY[" + ", ".join(f"'{m}'" for m in MATTERS) + "])"
    places = "(ARRAY[" + ", ".join(f"'{p}'" for p in PLACES) + "])"
    g = "g"
    special = {
        "number": f"'S' || lpad({g}::text, 12, '0')",
        "channel": "'phone'", "kind": "'complaint'", "urgency": "'normal'",
        "title": f"{places}[1 + mod({g} * 7, {len(PLACES)})] || {matters}[1 + mod({g}, {len(MATTERS)})]",
        "content": f"{places}[1 + mod({g} * 7, {len(PLACES)})] || '附近' || {matters}[1 + mod({g}, {len(MATTERS)})] "
                   f"|| '，已经好几天了，请尽快处理。'",
        "address": f"{places}[1 + mod({g} * 7, {len(PLACES)})]",
        "caller_name": "'市民'",
        "caller_phone": f"'139' || lpad(mod({g}::bigint * 7919, 100000000)::text, 8, '0')",
        "state": f"CASE WHEN mod({g}, 20) = 0 THEN 'pending_dispatch' WHEN mod({g}, 20) = 1 THEN 'pending_callback' "
                 f"WHEN mod({g}, 20) IN (2, 3) THEN 'pending_sign' ELSE 'in_progress' END",
        "department_id": f"CASE WHEN mod({g}, 20) = 0 THEN NULL ELSE {first} + mod({g} / 20, {UNITS}) END",
        "created_at": f"%(now)s - mod({g}, 2160) * interval '1 hour'",
        "updated_at": "%(now)s", "dispatched_at": "%(now)s - interval '3 days'",
        "signed_at": f"CASE WHEN mod({g}, 20) IN (2, 3) THEN NULL ELSE %(now)s - interval '2 days' END",
        "contacted_at": f"CASE WHEN mod({g}, 3) = 0 THEN NULL ELSE %(now)s - interval '1 day' END",
        "replied_at": f"CASE WHEN mod({g}, 20) = 1 THEN %(now)s - interval '1 day' ELSE NULL END",
        "supervised": f"mod({g}, 97) = 0",
        **DEADLINES,
    }
    with connection.cursor() as cursor:
        cursor.execute("DROP INDEX IF EXISTS tickets_ticket_search_grams")
    insert_s = insert_tickets(special, {"now": now, "n": args.tickets})

    # The search index, by the product's own code, 20,000 tickets at a time; then the GIN index and assignments.
    started = time.perf_counter()
    table = Ticket._meta.db_table
    after = 0
    while True:
        rows = list(Ticket.objects.filter(pk__gt=after).order_by("pk").only("pk", *search.FIELDS)[:20000])
        if not rows:
            break
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {table} t SET search_grams = v.doc FROM (SELECT unnest(%s::bigint[]) AS id, "
                f"unnest(%s::text[]) AS doc) v WHERE t.id = v.id",
                [[t.pk for t in rows], [search.document(t) for t in rows]])
        after = rows[-1].pk
    with connection.cursor() as cursor:
        cursor.execute(search.PG_INDEX)
        cursor.execute(
            f"INSERT INTO {TicketAssignment._meta.db_table} (ticket_id, department_id, assigned_at) "
            f"SELECT id, department_id, dispatched_at FROM {table} WHERE department_id IS NOT NULL")
        cursor.execute(f"VACUUM ANALYZE {table}")
        cursor.execute(f"ANALYZE {TicketAssignment._meta.db_table}")
    index_s = time.perf_counter() - started

    result = {"benchmark": "worklists_search", "database": "postgresql", "tickets": args.tickets, "units": UNITS,
              "insert_s": round(insert_s, 1), "index_s": round(index_s, 1), "counts": {}, "search": {}}
    if args.explain:
        from django.db.models import Q

        for name, user in people.items():
            lists = worklists.worklists_for(user)
            parts = [worklists.condition(w, user, timezone.now()) for w in lists]
            either = Q()
            for p in parts:
                either |= p
            qs = Ticket.objects.visible_to(user).filter(either)
            print(name, qs.explain(analyze=True), file=sys.stderr, sep="\n")
    for name, user in people.items():
        found = worklists.counts(user)
        result["counts"][name] = {**_timed(lambda u=user: worklists.counts(u), args.runs),
                                  "lists": {k: v for k, v in found.items() if "." not in k}}

    dispatcher = people["dispatcher"]

    def page(q):
        queryset = apply_filter(Ticket.objects.visible_to(dispatcher), TicketFilter(q=q), dispatcher)
        return queryset.count(), list(queryset.order_by("-created_at", "-id").values_list("number", flat=True)[:20])

    for label, q in (("two words 路灯 幸福里", "路灯 幸福里"), ("three words 幸福里 路灯 小区", "幸福里 路灯 小区"),
                     ("one word 电梯故障", "电梯故障"), ("phone", "13900007919"), ("last four digits", "7919")):
        count, first_page = page(q)
        result["search"][label] = {**_timed(lambda q=q: page(q), args.runs), "matches": count}
    print(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    sys.exit(main())
