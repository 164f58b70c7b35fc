import json
from datetime import date
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from jiesu.core.locks import exclusive
from jiesu.kpi import report, services


class Command(BaseCommand):
    help = "考核指标：report 生成月度通报（Excel 与 HTML）；rebuild 从工单重算日汇总；verify 核对日汇总与重算结果"

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="subcommand", required=True)
        rep = sub.add_parser("report", help="生成月度通报：排名、后十名单位、热点分类、与上月对比")
        rep.add_argument("--month", required=True, help="月份，例如 2026-10")
        rep.add_argument("--out", default=".", help="输出目录（默认当前目录）")
        rep.add_argument("--json", action="store_true", help="以 JSON 输出生成的文件与总体指标")
        sub.add_parser("rebuild", help="从工单全量重算日汇总（批量导入或调整节假日后使用）")
        sub.add_parser("verify", help="核对日汇总与从工单重算的结果，不一致时退出码为 1")

    def handle(self, *args, subcommand, **options):
        if subcommand == "report":
            return self._report(options)
        with exclusive("kpi-rollup") as taken:
            if not taken:
                raise CommandError("另一个 kpi rebuild/verify 正在运行")
            if subcommand == "rebuild":
                self.stdout.write(f"日汇总已重算：{services.rebuild()} 行")
                return
            problems = services.verify()
        if problems:
            for line in problems[:50]:
                self.stderr.write(line)
            raise CommandError(f"日汇总与重算结果有 {len(problems)} 处不一致；请运行 jiesu kpi rebuild")
        self.stdout.write("日汇总与从工单重算的结果一致")

    def _report(self, options):
        try:
            month = date.fromisoformat(options["month"] + "-01")
        except ValueError:
            raise CommandError(f"--month 格式应为 YYYY-MM：{options['month']}") from None
        out = Path(options["out"])
        out.mkdir(parents=True, exist_ok=True)
        built = report.build(month)
        stem = out / f"kpi-{month:%Y-%m}"
        xlsx, page = stem.with_suffix(".xlsx"), stem.with_suffix(".html")
        xlsx.write_bytes(report.workbook(built))
        page.write_text(report.html(built), encoding="utf-8")
        if options["json"]:
            self.stdout.write(json.dumps({"xlsx": str(xlsx), "html": str(page), "rates": built.summary["rates"],
                                          "counts": built.summary["counts"]}, ensure_ascii=False))
            return
        self.stdout.write(f"{built.title}\n  {xlsx}\n  {page}")
