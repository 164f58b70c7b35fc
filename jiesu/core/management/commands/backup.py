from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from jiesu.core.backup import BackupError, backup


class Command(BaseCommand):
    help = "备份数据库与附件到一个空目录，附带校验清单 manifest.json（见 docs/operations.md）"

    def add_arguments(self, parser):
        parser.add_argument("--to", required=True, type=Path, help="备份目录（不存在或为空）")

    def handle(self, *args, to, **options):
        try:
            manifest = backup(to)
        except BackupError as exc:
            raise CommandError(exc.message) from None
        counts = manifest["counts"]
        self.stdout.write(f"已备份到 {to}：{manifest['database']} 数据库，工单 {counts['tickets_ticket']} 件，"
                          f"文件 {len(manifest['files'])} 个")
