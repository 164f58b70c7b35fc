"""jiesu's hotspot detection on the real messages of ../shared/data/tipdm2020/hot_messages.csv; prints JSON.

The messages (2019-01 … 2020-01, with public support 点赞/反对) are the data from which the 8th TipDM Cup
(2020, problem C) asked for the top hot issues. They are run through `jiesu.hotspots.detect` exactly as
tickets are — one period spanning the whole set, no baseline — and the top N are printed with their
evidence: size, support, first and last day, and the ids (留言编号) of representative and all messages.
docs/hotspots.md quotes the result. Skips (prints why) when ../shared is absent.

    python benchmarks/hotspots_tipdm.py [--top 10]
"""

import argparse
import csv
import json
import os
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jiesu.settings")
os.environ.setdefault("JIESU_DEMO", "1")

DATA = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "tipdm2020" / "hot_messages.csv"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--top", type=int, default=10)
    args = parser.parse_args()
    if not DATA.exists():
        print(json.dumps({"benchmark": "hotspots_tipdm", "skipped": f"{DATA} not found"}, ensure_ascii=False))
        return

    import django

    django.setup()
    from django.utils import timezone

    from jiesu.hotspots import detect
    from jiesu.hotspots import text as T
    from jiesu.hotspots.services import count_grams

    with DATA.open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    against = {r["留言编号"]: int(r["反对数"] or 0) for r in rows}
    items = [
        detect.Item(key=r["留言编号"], text=f"{r['留言主题']}\n{r['留言详情'].strip()}",
                    at=timezone.make_aware(datetime.fromisoformat(r["留言时间"].strip().replace("/", "-"))),
                    support=int(r["点赞数"] or 0), caller=r["留言用户"])
        for r in rows
    ]
    started = time.perf_counter()
    docs, df = count_grams(item.text for item in items)
    stats = T.GramStats(docs=docs, df={h: n for h, n in df.items() if n >= 2})
    start, end = min(i.at for i in items), max(i.at for i in items) + timedelta(seconds=1)
    found = detect.detect(items, start, end, None, stats, limit=max(args.top, 1))
    seconds = time.perf_counter() - started
    print(json.dumps({
        "benchmark": "hotspots_tipdm",
        "messages": len(items),
        "seconds": round(seconds, 1),
        "hotspots": [
            {"rank": rank, "topic": f.topic, "messages": f.count, "callers": f.callers, "one_caller": f.one_caller,
             "support": f.support,
             "against": sum(against[m.key] for m in f.members), "heat": round(f.heat, 1),
             "first": f.first_seen.date().isoformat(), "last": f.last_seen.date().isoformat(),
             "representatives": [m.key for m in f.representatives], "ids": [m.key for m in f.members]}
            for rank, f in enumerate(found, start=1)
        ],
    }, ensure_ascii=False))


if __name__ == "__main__":
    sys.exit(main())
