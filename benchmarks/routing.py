"""Routing quality and speed on the real labelled messages (../shared/data/tipdm2020); prints JSON.

Stratified 5-fold cross-validation with identical texts kept in one fold (StratifiedGroupKFold), the
classifier exactly as the product trains it; then one model on everything, timed, and single-text
predictions (what the intake form does) per second on one core.

    python benchmarks/routing.py [--data ../shared/data/tipdm2020/messages_labeled.csv] [--C 5] [--words]
"""

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")  # one core

import argparse  # noqa: E402
import csv  # noqa: E402
import json  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA = ROOT.parent / "shared" / "data" / "tipdm2020" / "messages_labeled.csv"
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=str(DEFAULT_DATA))
    parser.add_argument("--C", type=float, default=None)
    parser.add_argument("--words", action="store_true")
    parser.add_argument("--predictions", type=int, default=2000)
    args = parser.parse_args()
    if not Path(args.data).exists():
        print(json.dumps({"benchmark": "routing", "skipped": f"{args.data} 不存在（需要 ../shared/data）"},
                         ensure_ascii=False))
        return

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jiesu.settings")
    os.environ.setdefault("JIESU_DEMO", "1")
    import django

    django.setup()
    from jiesu.routing.classifier import DEFAULT_PARAMS, TextClassifier
    from jiesu.routing.services import cross_validate

    with open(args.data, encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    texts = [f"{r['留言主题'].strip()}。{r['留言详情'].strip()}" for r in rows]
    labels = [r["label"].strip() for r in rows]
    params = {**DEFAULT_PARAMS, "words": args.words, **({"C": args.C} if args.C else {})}

    evaluation = cross_validate(texts, labels, params=params, folds=5)
    started = time.perf_counter()
    model = TextClassifier(params).fit(texts, labels)
    train_seconds = time.perf_counter() - started
    sample = [texts[i % len(texts)] for i in range(args.predictions)]
    started = time.perf_counter()
    for text in sample:
        model.top_k(text, 3)
    single = args.predictions / (time.perf_counter() - started)
    started = time.perf_counter()
    model.predict_proba(sample)
    batch = args.predictions / (time.perf_counter() - started)
    print(json.dumps({
        "benchmark": "routing",
        "data": Path(args.data).name,
        "n": len(texts),
        "classes": len(set(labels)),
        "params": params,
        "cv_folds": 5,
        "accuracy": evaluation["accuracy"],
        "macro_f1": evaluation["macro_f1"],
        "top3_accuracy": evaluation["top3_accuracy"],
        "per_class_f1": {k: v["f1"] for k, v in evaluation["per_class"].items()},
        "train_seconds": round(train_seconds, 2),
        "predictions_per_s_single": round(single),
        "predictions_per_s_batch": round(batch),
    }, ensure_ascii=False))


if __name__ == "__main__":
    main()
