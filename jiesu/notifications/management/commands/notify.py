import json
import signal
from dataclasses import asdict

from django.core.management.base import BaseCommand
from django.db.models import Count

from jiesu.notifications import delivery
from jiesu.notifications.models import Delivery


class Command(BaseCommand):
    help = "通知：deliver 发送待发的短信、邮件和政务消息（cron 定时执行，或 --loop 常驻）；status 各状态条数"

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="subcommand", required=True)
        deliver = sub.add_parser("deliver", help="发送到期的消息（可多个同时运行，同一条不会同时发送）")
        deliver.add_argument("--loop", action="store_true", help="常驻运行，持续发送")
        deliver.add_argument("--interval", type=float, default=5, help="常驻时无消息的等待秒数（默认 5）")
        deliver.add_argument("--batch", type=int, default=200, help="每批最多发送条数（默认 200）")
        deliver.add_argument("--json", action="store_true", help="以 JSON 输出结果")
        sub.add_parser("status", help="各状态的消息条数")

    def handle(self, *args, subcommand, **options):
        if subcommand == "status":
            counts = dict(Delivery.objects.values_list("status").annotate(n=Count("id")).order_by())
            for status in Delivery.Status:
                self.stdout.write(f"{status.label}：{counts.get(status.value, 0)}")
            return
        stopping = []
        signal.signal(signal.SIGTERM, lambda *_: stopping.append(True))  # finish the message in hand, then stop
        result = delivery.run(loop=options["loop"], interval=options["interval"], batch=max(1, options["batch"]),
                              stop=lambda: bool(stopping))
        if options["json"]:
            self.stdout.write(json.dumps(asdict(result)))
        else:
            self.stdout.write(f"已发送 {result.sent} 条，稍后重试 {result.retried} 条，发送失败 {result.dead} 条，"
                              f"免打扰顺延 {result.held} 条，已退订未发送 {result.skipped} 条。")
