"""Similar-case search (相似案例): quality on real questions and latency over 100,000 resolved tickets; prints
JSON.

Stores the 2,816 real messages of ../shared/data/tipdm2020/replies.csv as resolved tickets with the
government's replies, among N synthetic resolved tickets (benchmarks/duplicates.py's generator), with their
case keys. Quality: for every pair of benchmarks/data/tipdm_similar_question_pairs.csv (built for jiesu: pairs
of messages judged to ask the same thing, or not — docs/knowledge.md) each message of a positive pair is
looked up and the rank of the other among `knowledge.cases.similar`'s top 5 gives recall@5 and MRR. Latency:
the median of 200 look-ups. Needs DATABASE_URL (`make bench-cases` starts a throwaway PostgreSQL); skips the
quality part, saying so, when ../shared is absent.

    python benchmarks/similar_cases.py [--tickets 100000]
"""

import argparse
import csv
import json
import os
import random
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

from duplicates import (
    PROBLEMS,
    all_keys,
    copy_rows,
    place_name,
    request_text,
    ticket_columns,
    ticket_row,
)
from synthetic import postgres_ready

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jiesu.settings")
os.environ.setdefault("JIESU_DEMO", "1")


ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "data" / "tipdm2020" / "replies.csv"
PAIRS = ROOT / "benchmarks" / "data" / "tipdm_similar_question_pairs.csv"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=100_000)
    args = parser.parse_args()
    if not postgres_ready("similar_cases", "make bench-cases"):
        return
    from django.db import connection
    from django.utils import timezone

    from jiesu.hotspots import services as hotspots
    from jiesu.knowledge import cases
    from jiesu.knowledge.models import CaseKey
    from jiesu.tickets.models import Ticket

    rng = random.Random(2026)
    now = timezone.now()
    texts, replies, real_ids = [], [], {}
    if SHARED.exists():
        with SHARED.open(encoding="utf-8") as f:
            for row in csv.DictReader(f):
                real_ids[row["留言编号"]] = len(texts) + 1
                texts.append(f"{row['留言主题']}\n{row['留言详情'].strip()}")
                replies.append(row["答复意见"].strip()[:5000] or "已答复")
    places = sorted({place_name(rng) for _ in range(max(1000, args.tickets // 25))})
    for _ in range(args.tickets):
        texts.append(request_text(rng, rng.choice(places), rng.choice(PROBLEMS)))
        replies.append("经核实已处理，来电人表示满意。")

    started = time.perf_counter()
    # Statistics from a sample, as `jiesu hotspots refresh` keeps them (the cases share them).
    hotspots.save_statistics(rng.sample(texts, min(len(texts), hotspots.STATS_SAMPLE)))
    stats = hotspots.stats()
    keys = all_keys(texts, stats)
    fields, columns = ticket_columns()
    with connection.cursor() as cursor:
        raw = cursor.cursor
        copy_rows(raw, Ticket._meta.db_table, columns, (
            ticket_row(fields, {
                "id": i, "number": f"C{i:012d}", "channel": "web", "kind": "consult", "urgency": "normal",
                "title": text.split("\n", 1)[0][:100], "content": text[:5000], "state": "closed",
                "reply_text": reply, "reply_result": "resolved", "resolved": True,
                "created_at": now - timedelta(days=400), "updated_at": now, "closed_at": now,
            })
            for i, (text, reply) in enumerate(zip(texts, replies, strict=True), start=1)
        ))
        cursor.execute(f"SELECT setval(pg_get_serial_sequence('{Ticket._meta.db_table}', 'id'), %s)", [len(texts)])
        copy_rows(raw, CaseKey._meta.db_table, ["key", "ticket_id"],
              ((k, i) for i, ks in enumerate(keys, start=1) for k in ks))
    with connection.cursor() as cursor:
        cursor.execute(f"VACUUM ANALYZE {CaseKey._meta.db_table}")
        cursor.execute(f"ANALYZE {Ticket._meta.db_table}")
    load_seconds = time.perf_counter() - started

    out = {"benchmark": "similar_cases", "tickets": len(texts), "case_keys": sum(len(k) for k in keys),
           "load_seconds": round(load_seconds, 1)}
    queries = [texts[i] for i in rng.sample(range(len(texts)), 200)]
    # Cases are looked up as a dispatcher sees them (every ticket), through the access rule as the pages do.
    from jiesu.directory.tests.factories import DepartmentFactory, make_staff

    reader = make_staff("dispatcher", DepartmentFactory(code="BENCH", name="热线中心"), username="bench-dispatcher")
    cases.similar(queries[0], user=reader)
    latencies = []
    for text in queries:
        t0 = time.perf_counter()
        cases.similar(text, user=reader)
        latencies.append((time.perf_counter() - t0) * 1000)
    out["lookup_ms"] = {"p50": round(statistics.median(latencies), 2),
                        "p90": round(sorted(latencies)[int(0.9 * len(latencies))], 2)}
    if not real_ids:
        out["quality"] = f"skipped: {SHARED} not found"
    else:
        pairs = [(real_ids[r["id_a"]], real_ids[r["id_b"]], r["same_question"] == "1")
                 for r in csv.DictReader(PAIRS.open(encoding="utf-8"))]
        ranks = []
        for a, b, same in pairs:
            if not same:
                continue
            for query, wanted in ((a, b), (b, a)):
                found = [int(c.number[1:]) for c in cases.similar(texts[query - 1], user=reader, exclude=query, limit=5)]
                ranks.append(found.index(wanted) + 1 if wanted in found else None)
        out["quality"] = {
            "positive_pairs": sum(1 for *_, same in pairs if same), "lookups": len(ranks),
            "recall_at_5": round(sum(1 for r in ranks if r) / len(ranks), 3),
            "mrr": round(sum(1 / r for r in ranks if r) / len(ranks), 3),
            "recall_at_1": round(sum(1 for r in ranks if r == 1) / len(ranks), 3),
        }
    print(json.dumps(out, ensure_ascii=False))


if __name__ == "__main__":
    sys.exit(main())
