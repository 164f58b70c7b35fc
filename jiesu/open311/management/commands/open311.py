from django.core.management.base import BaseCommand, CommandError

from jiesu.open311 import services


class Command(BaseCommand):
    help = "Open311：add-partner 新增合作方并发放 api_key（只显示一次）"

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="subcommand", required=True)
        add = sub.add_parser("add-partner", help="新增合作方系统并发放 api_key")
        add.add_argument("name", help="合作方名称，例如 市政务服务App")

    def handle(self, *args, subcommand, **options):
        try:
            partner, key = services.add_partner(options["name"])
        except services.Open311Error as exc:
            raise CommandError(exc.description) from None
        self.stdout.write(f"已新增合作方“{partner.name}”。api_key（只显示这一次，请妥善转交）：\n{key}")
