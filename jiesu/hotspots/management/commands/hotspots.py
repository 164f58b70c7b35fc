import json

from django.core.management.base import BaseCommand, CommandError

from jiesu.core import clock
from jiesu.core.errors import ServiceError
from jiesu.core.locks import exclusive
from jiesu.core.validators import DATE_FORMAT_MESSAGE, parse_day
from jiesu.hotspots import detect, services
from jiesu.hotspots.models import HotspotRun


def _day(value: str, name: str):
    day = parse_day(value)
    if day is None:
        raise CommandError(f"{name} 日期{DATE_FORMAT_MESSAGE}：{value}")
    return day


class Command(BaseCommand):
    help = ("重复诉求与热点：report 输出任意时段的热点排行；detect 检测近期热点与上月“每月一题”候选并保存；"
            "refresh 重算字频统计并清理过期索引（建议每晚运行 detect 与 refresh）")

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="subcommand", required=True)
        rep = sub.add_parser("report", help="输出时段内的热点排行（表格或 JSON）")
        rep.add_argument("--from", dest="start", required=True, help="开始日期，例如 2026-11-01")
        rep.add_argument("--to", dest="end", required=True, help="结束日期（含当天），例如 2026-11-07")
        rep.add_argument("--baseline-days", type=int, default=services.BASELINE_DAYS,
                         help=f"与此前多少天对比增长（默认 {services.BASELINE_DAYS}，0 为不对比）")
        rep.add_argument("--min-count", type=int, default=detect.MIN_COUNT, help="热点的最少诉求件数")
        rep.add_argument("--limit", type=int, default=20, help="输出前几名（默认 20）")
        rep.add_argument("--json", action="store_true", help="以 JSON 输出")
        rep.add_argument("--save", action="store_true", help="同时保存为一次检测，供热点页面查看")
        sub.add_parser("detect", help="检测近 7 天热点（对比此前 4 周）与上月每月一题候选，并保存")
        ref = sub.add_parser("refresh", help="重算字频统计，清理已办结且超出比对期的查重索引")
        ref.add_argument("--rekey", action="store_true", help="按新统计重建全部查重索引（数据量大时较慢）")

    def handle(self, *args, subcommand, **options):
        try:
            if subcommand == "report":
                return self._report(options)
            with exclusive(f"hotspots-{subcommand}") as taken:
                if not taken:
                    raise CommandError(f"另一个 hotspots {subcommand} 正在运行")
                if subcommand == "detect":
                    trailing, monthly = services.detect_now()
                    self.stdout.write(f"近期热点 {trailing.hotspots.count()} 个；每月一题候选 {monthly.hotspots.count()} 个")
                else:
                    self.stdout.write(json.dumps(services.refresh(rekey=options["rekey"]), ensure_ascii=False))
        except ServiceError as exc:
            raise CommandError(exc.full_message()) from None

    def _report(self, options):
        start, end = clock.day_range(_day(options["start"], "--from"), _day(options["end"], "--to"))
        found = services.find_hotspots(start, end, baseline_days=options["baseline_days"],
                                       min_count=options["min_count"], limit=max(1, options["limit"]))
        if options["save"]:
            services.save_run(HotspotRun.Kind.ADHOC, start, end, found, baseline_days=options["baseline_days"])
        rows = [services.hotspot_row(rank, f) for rank, f in enumerate(found, start=1)]
        if options["json"]:
            self.stdout.write(json.dumps({"from": options["start"], "to": options["end"], "hotspots": rows},
                                         ensure_ascii=False, default=str))
            return
        self.stdout.write(f"{options['start']} 至 {options['end']} 热点排行（对比此前 {options['baseline_days']} 天）")
        self.stdout.write("排名  热度    件数  对比期  增长    点赞  热点")
        for r in rows:
            growth = "新出现" if r["growth"] is None else f"{r['growth']:+.0%}"
            self.stdout.write(f"{r['rank']:>4}  {r['heat']:>6.1f}  {r['count']:>4}  {r['baseline']:>6}  {growth:>6}  "
                              f"{r['support']:>4}  {r['topic']}（{'、'.join(r['tickets'][:3])}）")
