"""How much real text the masking module touches, and how fast: prints JSON.

Runs `jiesu.core.masking.mask_text` over the real citizen messages and official replies of
../shared/data/tipdm2020 (TipDM Cup 2020, problem C; users and places there are already anonymised), counts
the texts it changed and what it masked by kind, and prints a sample of the masked spans so a person can judge
them (the replies carry real office phone numbers; the messages hardly any personal data). Skips, saying why,
when ../shared is absent.

    python benchmarks/masking.py [--sample 20]
"""

import argparse
import csv
import json
import re
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

DATA = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "tipdm2020"


def _texts():
    for name, columns in (("hot_messages.csv", ("留言主题", "留言详情")), ("replies.csv", ("留言详情", "答复意见")),
                          ("messages_labeled.csv", ("留言主题", "留言详情"))):
        with (DATA / name).open(encoding="utf-8") as f:
            for row in csv.DictReader(f):
                for column in columns:
                    text = (row.get(column) or "").strip()
                    if text:
                        yield f"{name}:{column}", text


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sample", type=int, default=20)
    args = parser.parse_args()
    if not DATA.exists():
        print(json.dumps({"benchmark": "masking", "skipped": f"{DATA} not found"}, ensure_ascii=False))
        return
    from jiesu.core.masking import mask_text

    changed, spans, timings, chars = {}, [], [], 0
    totals: dict[str, int] = {}
    for source, text in _texts():
        started = time.perf_counter()
        masked = mask_text(text)
        timings.append((time.perf_counter() - started) * 1000)
        chars += len(text)
        totals[source] = totals.get(source, 0) + 1
        if masked != text:
            changed[source] = changed.get(source, 0) + 1
            for m in re.finditer(r"\S{0,6}\*+\S{0,6}", masked):
                spans.append(f"{source.split(':')[0]}: {m.group(0)}")
    print(json.dumps({
        "benchmark": "masking",
        "texts": sum(totals.values()), "characters": chars,
        "changed": {k: f"{changed.get(k, 0)}/{v}" for k, v in totals.items()},
        "ms_per_text": {"median": round(statistics.median(timings), 3),
                        "p99": round(sorted(timings)[int(0.99 * len(timings))], 3)},
        "sample_of_masked": spans[:: max(1, len(spans) // args.sample)][: args.sample],
    }, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
