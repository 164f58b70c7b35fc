"""Duplicate look-up of one new ticket against 30 days of a megacity's volume, on PostgreSQL; prints JSON.

Needs DATABASE_URL pointing at an empty PostgreSQL database (`make bench-duplicates` starts a throwaway
cluster). Writes N synthetic tickets over the last 29 days (place names made from syllables, problems,
details and asks written for jiesu, so the same matter recurs the way it does in a city), their look-up keys
and the bigram statistics, all with COPY. Then it times `services.find_for_text` — the whole look-up a new
ticket triggers: signature, key query, scoring — for new requests (half of them rewordings of a stored one),
and reports latency percentiles and how often the stored original came back.

With ../shared present, the 4,326 real messages of ../shared/data/tipdm2020/hot_messages.csv are stored too,
among the synthetic ones, and the labelled pairs of benchmarks/data/tipdm_duplicate_pairs.csv (built for
jiesu, see docs/hotspots.md) give the finder's precision and recall at 疑似重复 and at 相似.

    python benchmarks/duplicates.py [--tickets 2000000] [--queries 400]
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
from multiprocessing import Pool
from pathlib import Path

from synthetic import postgres_ready

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jiesu.settings")
os.environ.setdefault("JIESU_DEMO", "1")

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "data" / "tipdm2020" / "hot_messages.csv"
PAIRS = ROOT / "benchmarks" / "data" / "tipdm_duplicate_pairs.csv"

# Written for jiesu: syllables for place names, and the parts of a request.
SYLLABLES = list("东西南北中新华兴安平康宁和泰福瑞祥丰盛龙凤金银玉翠青红白绿湖江河海山林桂竹梅兰松柏桃李杏荷"
                 "春夏秋冬明光阳星月云天")
SUFFIXES = ["小区", "花园", "家园", "新村", "社区", "路", "大街", "苑", "公寓", "广场", "市场", "小学", "公园", "村"]
PROBLEMS = [
    "路灯不亮", "井盖缺失", "路面塌陷", "下水道堵塞", "污水外溢", "垃圾无人清运", "楼道堆放杂物", "电梯经常故障",
    "夜间施工噪音扰民", "餐馆油烟直排", "占道经营", "违章搭建", "车辆乱停占用消防通道", "共享单车堆放", "树枝遮挡窗户",
    "停水没有通知", "水质发黄", "突然停电", "燃气有异味", "暖气不热", "物业费上涨", "装修扰民", "广场舞噪音",
    "宠物狗不拴绳", "公交站牌损坏", "红绿灯故障", "无证诊所", "商家拒绝退款", "拖欠工资", "学区划分不合理",
    "地下车库积水", "外墙瓷砖脱落", "屋顶漏水", "绿地被占", "河道发臭", "工地扬尘", "渣土车撒漏", "烧烤摊扰民",
    "快递柜占道", "充电桩不足",
]
DETAILS = [
    "已经好几天了", "晚上尤其严重", "老人孩子出行很不方便", "反映过多次没有结果", "存在安全隐患",
    "影响居民休息", "周边住户意见很大", "物业说不归他们管", "最近一周越来越严重", "下雨以后更明显",
]
ASKS = ["请尽快处理", "希望有关部门核查", "请派人到现场看看", "请督促相关单位解决", "希望给个答复"]


def place_name(rng: random.Random) -> str:
    return "".join(rng.choice(SYLLABLES) for _ in range(rng.choice((2, 2, 3)))) + rng.choice(SUFFIXES)


def request_text(rng: random.Random, place: str, problem: str) -> str:
    return f"{place}{problem}，{rng.choice(DETAILS)}，{rng.choice(ASKS)}。"


def signature_keys(args):
    from jiesu.hotspots import text as T

    texts, stats = args
    return [T.signature(t, stats).keys for t in texts]


def all_keys(texts: list[str], stats) -> list[list[int]]:
    """Every text's look-up keys, computed on every core (the database connection is closed first: the
    workers fork)."""
    from django.db import connection

    connection.close()
    chunk = 20_000
    with Pool(os.cpu_count() or 1) as pool:
        parts = pool.map(signature_keys, [(texts[i:i + chunk], stats) for i in range(0, len(texts), chunk)])
    return [keys for part in parts for keys in part]


def copy_rows(cursor, table: str, columns: list[str], rows) -> None:
    with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def ticket_columns():
    from jiesu.tickets.models import Ticket

    fields = [f for f in Ticket._meta.concrete_fields]
    return fields, [f.column for f in fields]


def ticket_row(fields, values: dict) -> tuple:
    row = []
    for f in fields:
        if f.attname in values:
            row.append(values[f.attname])
        elif f.null:
            row.append(None)
        elif f.get_internal_type() == "BooleanField":
            row.append(False)
        elif f.get_internal_type() in ("PositiveIntegerField", "IntegerField"):
            row.append(0)
        else:
            row.append("")
    return tuple(row)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=2_000_000)
    parser.add_argument("--queries", type=int, default=400)
    args = parser.parse_args()
    if not postgres_ready("duplicates", "make bench-duplicates"):
        return
    from django.conf import settings
    from django.db import connection
    from django.utils import timezone

    from jiesu.hotspots import services
    from jiesu.hotspots import text as T
    from jiesu.hotspots.models import DuplicateKey
    from jiesu.tickets.models import Ticket

    rng = random.Random(2026)
    now = timezone.now()
    places = sorted({place_name(rng) for _ in range(max(1000, args.tickets // 25))})
    started = time.perf_counter()

    # The tickets: (id, text, created_at). Real messages first (if present), then synthetic ones.
    texts, created = [], []
    real_ids = {}
    if SHARED.exists():
        with SHARED.open(encoding="utf-8") as f:
            for row in csv.DictReader(f):
                real_ids[row["留言编号"]] = len(texts) + 1
                texts.append(f"{row['留言主题']}\n{row['留言详情'].strip()}")
                created.append(now - timedelta(days=rng.uniform(0, 29)))
    matters = []  # (place, problem) of each synthetic ticket, to reword for the timing queries
    for _ in range(args.tickets):
        place, problem = rng.choice(places), rng.choice(PROBLEMS)
        matters.append((len(texts) + 1, place, problem))
        texts.append(request_text(rng, place, problem))
        created.append(now - timedelta(days=rng.uniform(0, 29)))
    generate_seconds = time.perf_counter() - started

    # Statistics from a sample, as `jiesu hotspots refresh` keeps them.
    started = time.perf_counter()
    services.save_statistics(rng.sample(texts, min(len(texts), services.STATS_SAMPLE)))
    stats = services.stats()
    stats_seconds = time.perf_counter() - started

    # Look-up keys for every ticket, computed on every core.
    started = time.perf_counter()
    keys = all_keys(texts, stats)
    keys_seconds = time.perf_counter() - started

    started = time.perf_counter()
    fields, columns = ticket_columns()
    with connection.cursor() as cursor:
        raw = cursor.cursor
        copy_rows(raw, Ticket._meta.db_table, columns, (
            ticket_row(fields, {
                "id": i, "number": f"D{i:012d}", "channel": "phone", "kind": "complaint", "urgency": "normal",
                "title": text.split("\n", 1)[0][:30], "content": text[:5000], "state": "pending_dispatch",
                "created_at": at, "updated_at": at,
            })
            for i, (text, at) in enumerate(zip(texts, created, strict=True), start=1)
        ))
        cursor.execute(f"SELECT setval(pg_get_serial_sequence('{Ticket._meta.db_table}', 'id'), %s)", [len(texts)])
        copy_rows(raw, DuplicateKey._meta.db_table, ["key", "ticket_id", "created_at"], (
            (k, i, at) for i, (ks, at) in enumerate(zip(keys, created, strict=True), start=1) for k in ks
        ))
        cursor.execute(f"ANALYZE {Ticket._meta.db_table}")
    with connection.cursor() as cursor:  # VACUUM cannot run in a transaction; autovacuum does this in production
        cursor.execute(f"VACUUM ANALYZE {DuplicateKey._meta.db_table}")
    load_seconds = time.perf_counter() - started
    services.invalidate()

    # Timing: new requests, half rewordings of a stored ticket (same place and problem, other words).
    queries = []
    for _ in range(args.queries):
        if rng.random() < 0.5:
            original, place, problem = rng.choice(matters)
            queries.append((request_text(rng, place, problem), original))
        else:
            queries.append((request_text(rng, place_name(rng), rng.choice(PROBLEMS)), None))
    place = services.Place()
    services.find_for_text(queries[0][0], place)  # warm-up: statistics into the process
    latencies, found_original, reworded, candidates = [], 0, 0, []
    for text, original in queries:
        t0 = time.perf_counter()
        result = services.find_for_text(text, place)
        latencies.append((time.perf_counter() - t0) * 1000)
        candidates.append(len(result))
        if original is not None:
            reworded += 1
            found_original += any(c.ticket_id == original and c.flagged for c in result)
    # The share of the candidate query alone (the part that grows with the number of tickets).
    key_query = []
    for text, _ in queries:
        signature = T.signature(text, services.stats())
        t0 = time.perf_counter()
        services.candidate_rows(signature)
        key_query.append((time.perf_counter() - t0) * 1000)
    latencies.sort()

    def pct(p):
        return round(latencies[min(len(latencies) - 1, int(p / 100 * len(latencies)))], 2)

    out = {
        "benchmark": "duplicates",
        "tickets": len(texts),
        "keys": sum(len(k) for k in keys),
        "window_days": settings.JIESU_DUPLICATE_WINDOW_DAYS,
        "lookup_ms": {"p50": round(statistics.median(latencies), 2), "p90": pct(90), "p99": pct(99),
                      "max": round(latencies[-1], 2)},
        "key_query_ms_p50": round(statistics.median(key_query), 2),
        "synthetic_rewordings_found": round(found_original / max(reworded, 1), 3),
        "candidates_returned_median": statistics.median(candidates),
        "setup_seconds": {"generate": round(generate_seconds, 1), "statistics": round(stats_seconds, 1),
                          "keys": round(keys_seconds, 1), "load": round(load_seconds, 1)},
    }
    out["labelled_pairs"] = _labelled(real_ids, texts, services, settings) if real_ids else \
        f"skipped: {SHARED} not found"
    print(json.dumps(out, ensure_ascii=False))


def _labelled(real_ids, texts, services, settings) -> dict:
    """Precision and recall of the finder on the labelled pairs, each looked up among every stored ticket."""
    pairs = [(real_ids[r["id_a"]], real_ids[r["id_b"]], r["same_matter"] == "1")
             for r in csv.DictReader(PAIRS.open(encoding="utf-8"))]
    place = services.Place()
    cache = {}

    def score(a, b):
        if a not in cache:
            cache[a] = {c.ticket_id: c.score for c in services.find_for_text(texts[a - 1], place, exclude=a,
                                                                               minimum=0.0, limit=50)}
        return cache[a].get(b, 0.0)

    scored = [(max(score(a, b), score(b, a)), same) for a, b, same in pairs]
    result = {"pairs": len(pairs), "same_matter": sum(same for _, same in scored)}
    for name, threshold in (("flag", settings.JIESU_DUPLICATE_FLAG), ("show", settings.JIESU_DUPLICATE_SHOW)):
        tp = sum(1 for s, same in scored if same and s >= threshold)
        fp = sum(1 for s, same in scored if not same and s >= threshold)
        result[name] = {"threshold": threshold, "precision": round(tp / max(tp + fp, 1), 3),
                        "recall": round(tp / max(result["same_matter"], 1), 3)}
    return result


if __name__ == "__main__":
    sys.exit(main())
