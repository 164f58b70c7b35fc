import json
import re
from dataclasses import asdict

from django.core.management.base import BaseCommand, CommandError

from jiesu.core.locks import exclusive
from jiesu.sla import services


class Command(BaseCommand):
    help = "办理时限：import-holidays 导入节假日与调休；sweep 记录临期/超期并自动催办、升级督办"

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="subcommand", required=True)
        imp = sub.add_parser("import-holidays", help="从 chinese-calendar 导入节假日与调休（可重复执行）")
        imp.add_argument("--years", default="2020-2026", help="年份范围，例如 2020-2026 或 2025")
        sweep = sub.add_parser("sweep", help="扫描在办工单的时限（可每分钟由 cron 执行，同一时间只运行一个）")
        sweep.add_argument("--dry-run", action="store_true", help="只统计，不写入")
        sweep.add_argument("--json", action="store_true", help="以 JSON 输出结果")
        sweep.add_argument("--full", action="store_true", help="全量扫描（修改节假日或规则后使用）")

    def handle(self, *args, subcommand, **options):
        if subcommand == "import-holidays":
            match = re.fullmatch(r"(\d{4})(?:-(\d{4}))?", options["years"])
            if not match:
                raise CommandError("--years 格式应为 2020-2026 或 2025")
            first, last = int(match[1]), int(match[2] or match[1])
            if first > last:
                raise CommandError("--years 起始年份不能晚于结束年份")
            counts = services.import_holidays(first, last)
            self.stdout.write(
                f"{first}–{last}年：法定节假日 {counts['holidays']} 天，调休上班 {counts['makeup_workdays']} 天，"
                f"本次变更 {counts['changed']} 天。"
            )
            return
        with exclusive("sla-sweep") as taken:
            if not taken:
                self.stderr.write("另一个 sla sweep 正在运行，本次跳过。")
                return
            result = services.sweep(dry_run=options["dry_run"], full=options["full"])
        if options["json"]:
            self.stdout.write(json.dumps({**asdict(result), "dry_run": options["dry_run"]}, ensure_ascii=False))
            return
        prefix = "（演练，未写入）" if options["dry_run"] else ""
        self.stdout.write(
            f"{prefix}临期 {result.warnings}，超期 {result.overdue}，催办 {result.urged}，升级督办 {result.escalated}"
            f"（{result.seconds:.2f} 秒）"
        )
