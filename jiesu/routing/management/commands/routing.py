import csv
import json
import sys

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from jiesu.routing import services
from jiesu.routing.models import RoutingModel


def read_csv(path: str, text_cols: str, label_col: str) -> tuple[list[str], list[str]]:
    try:
        with open(path, encoding="utf-8-sig", newline="") as handle:
            rows = list(csv.DictReader(handle))
    except OSError as exc:
        raise CommandError(f"无法读取 {path}：{exc}") from None
    columns = [c.strip() for c in text_cols.split(",") if c.strip()]
    missing = [c for c in [*columns, label_col] if rows and c not in rows[0]]
    if missing:
        raise CommandError(f"CSV 缺少列：{'、'.join(missing)}")
    texts = ["。".join((r[c] or "").strip() for c in columns) for r in rows if (r[label_col] or "").strip()]
    labels = [r[label_col].strip() for r in rows if (r[label_col] or "").strip()]
    if not texts:
        raise CommandError("CSV 中没有带标签的行")
    return texts, labels


class Command(BaseCommand):
    help = "智能派单：train 训练、evaluate 评估、predict 预测、list 列出模型、activate 启用某个版本"

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="subcommand", required=True)
        for name in ("train", "evaluate"):
            p = sub.add_parser(name)
            p.add_argument("--data", help="CSV 文件（UTF-8）")
            p.add_argument("--text-cols", default="留言主题,留言详情", help="文本列，逗号分隔")
            p.add_argument("--label-col", default="label", help="标签列")
            p.add_argument("--json", action="store_true", help="以 JSON 输出")
        train = sub.choices["train"]
        train.add_argument("--from-tickets", action="store_true", help="用已办结工单（最终分类）训练")
        train.add_argument("--level", choices=RoutingModel.Level.values, default=RoutingModel.Level.CATEGORY)
        train.add_argument("--name", default="")
        train.add_argument("--no-activate", action="store_true", help="训练后不启用")
        train.add_argument("--cv", type=int, default=5, help="训练前交叉验证的折数（0 = 不做）")
        train.add_argument("--C", type=float, default=None, help="LinearSVC 的 C")
        train.add_argument("--words", action="store_true", help="加入 jieba 分词特征")
        sub.choices["evaluate"].add_argument("--model", type=int, help="模型编号（默认当前启用的）")
        predict = sub.add_parser("predict")
        predict.add_argument("text")
        predict.add_argument("--json", action="store_true")
        sub.add_parser("list")
        act = sub.add_parser("activate")
        act.add_argument("model_id", type=int)

    def handle(self, *args, subcommand, **options):
        getattr(self, f"do_{subcommand}")(**options)

    def _out(self, payload, as_json, text):
        self.stdout.write(json.dumps(payload, ensure_ascii=False) if as_json else text)

    def _data(self, options, level=RoutingModel.Level.CATEGORY):
        if options.get("from_tickets"):
            texts, labels = services.training_data_from_tickets(level)
            if len(set(labels)) < 2:
                raise CommandError("已办结工单中少于两个分类，无法训练")
            return texts, labels, "tickets"
        if not options.get("data"):
            raise CommandError("请用 --data 指定 CSV，或 --from-tickets")
        texts, labels = read_csv(options["data"], options["text_cols"], options["label_col"])
        return texts, labels, options["data"]

    def do_train(self, **options):
        texts, labels, source = self._data(options, options["level"])
        params = {"words": options["words"]}
        if options["C"] is not None:
            params["C"] = options["C"]
        evaluation = {}
        if options["cv"]:
            bar = tqdm(total=options["cv"], desc="交叉验证", file=sys.stderr, disable=options["json"])
            evaluation = services.cross_validate(texts, labels, params=params, folds=options["cv"], progress=bar.update)
            bar.close()
        model = services.train(
            texts, labels, name=options["name"] or f"{source} ({len(texts)}条)", level=options["level"],
            params=params, source=source, activate_it=not options["no_activate"], evaluation=evaluation,
        )
        summary = {"model": model.pk, "active": model.active, "training": model.training,
                   **{k: evaluation.get(k) for k in ("accuracy", "macro_f1", "top3_accuracy")}}
        self._out(summary, options["json"], f"模型 #{model.pk} 已训练（{len(texts)} 条，{len(set(labels))} 类）"
                  + (f"；交叉验证 macro-F1 {evaluation['macro_f1']:.3f}，top-3 {evaluation['top3_accuracy']:.3f}"
                     if evaluation else "") + ("，已启用" if model.active else ""))

    def do_evaluate(self, **options):
        texts, labels, _ = self._data(options)
        model = (RoutingModel.objects.filter(pk=options["model"]).first() if options["model"]
                 else RoutingModel.objects.filter(active=True).first())
        if model is None:
            raise CommandError("没有可评估的模型")
        from jiesu.routing.classifier import TextClassifier

        classifier = TextClassifier.loads(bytes(model.blob))
        probabilities = classifier.predict_proba(texts)
        result = services.metrics(classifier.labels, labels, probabilities)
        if options["json"]:
            self.stdout.write(json.dumps(result, ensure_ascii=False))
            return
        lines = [f"模型 #{model.pk}：{result['n']} 条，准确率 {result['accuracy']:.3f}，macro-F1 {result['macro_f1']:.3f}，"
                 f"top-3 {result['top3_accuracy']:.3f}", "类别\t精确率\t召回率\tF1\t样本数"]
        for label, m in result["per_class"].items():
            lines.append(f"{label}\t{m['precision']:.3f}\t{m['recall']:.3f}\t{m['f1']:.3f}\t{m['support']}")
        lines.append("混淆矩阵（行：真实，列：预测）：" + " | ".join(result["labels"]))
        lines += ["\t".join(map(str, row)) for row in result["confusion"]]
        self.stdout.write("\n".join(lines))

    def do_predict(self, **options):
        result = services.route(options["text"])
        payload = {
            "judgeable": result.judgeable,
            "model": result.model.pk if result.model else None,
            "suggestions": [{"label": s["label"], "name": s["name"], "probability": s["probability"],
                             "department": s["department"].name if s["department"] else None}
                            for s in result.suggestions],
            "terms": result.terms,
        }
        if options["json"]:
            self.stdout.write(json.dumps(payload, ensure_ascii=False))
            return
        if not result.judgeable:
            self.stdout.write(services.UNKNOWN + "（转人工派单）")
            return
        for s in payload["suggestions"]:
            self.stdout.write(f"{s['probability']:.0%}\t{s['name']}\t→ {s['department'] or '（无默认承办单位）'}")
        self.stdout.write("依据：" + "、".join(result.terms))

    def do_list(self, **options):
        for m in RoutingModel.objects.defer("blob"):
            ev = m.evaluation or {}
            self.stdout.write(f"#{m.pk}\t{'启用' if m.active else ''}\t{m.created_at:%Y-%m-%d %H:%M}\t{m.name}\t"
                              f"n={m.training.get('n')}\tmacro-F1={ev.get('macro_f1', '—')}")

    def do_activate(self, model_id, **options):
        try:
            model = services.activate(model_id)
        except RoutingModel.DoesNotExist:
            raise CommandError(f"模型 #{model_id} 不存在") from None
        self.stdout.write(f"已启用模型 #{model.pk} {model.name}")
