from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from jiesu.core.backup import BackupError, restore, verify


class Command(BaseCommand):
    help = "从 jiesu backup 的目录恢复数据库与附件（先核对校验和；会覆盖当前数据，请先停止服务）"

    def add_arguments(self, parser):
        parser.add_argument("--from", dest="source", required=True, type=Path, help="备份目录")
        parser.add_argument("--check", action="store_true", help="只核对备份是否完整，不恢复")
        parser.add_argument("--yes", action="store_true", help="确认覆盖当前数据库与附件")

    def handle(self, *args, source, check, yes, **options):
        try:
            if check:
                manifest = verify(source)
                self.stdout.write(f"备份完整：{len(manifest['files'])} 个文件校验一致（{manifest['created_at']}）")
                return
            if not yes:
                raise CommandError("恢复会覆盖当前数据库与附件：确认请加 --yes")
            result = restore(source)
        except BackupError as exc:
            raise CommandError(exc.message) from None
        self.stdout.write(f"已恢复 {result['manifest']['created_at']} 的备份：工单 {result['counts']['tickets_ticket']} 件，"
                          "行数与清单一致")
