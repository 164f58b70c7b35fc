import json
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from jiesu.core.errors import ServiceError
from jiesu.knowledge import excel, services


class Command(BaseCommand):
    help = "知识库：import 从 Excel 导入；export 导出已发布的知识；remind 列出已失效或即将失效的知识（按主管单位）"

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="subcommand", required=True)
        imp = sub.add_parser("import", help="从 Excel 导入（表头见 docs/knowledge.md），导入为草稿")
        imp.add_argument("file")
        imp.add_argument("--as", dest="username", required=True, help="以哪个账号导入（决定主管单位与权限）")
        imp.add_argument("--publish", action="store_true", help="审核人导入即发布")
        exp = sub.add_parser("export", help="导出已发布的知识为 Excel")
        exp.add_argument("file")
        rem = sub.add_parser("remind", help="列出已失效或将在 N 天内失效的知识，按主管单位")
        rem.add_argument("--days", type=int, default=30)
        rem.add_argument("--json", action="store_true")
        sub.add_parser("purge-misses", help="删除超过保留期（JIESU_KNOWLEDGE_MISS_RETENTION_DAYS）的未命中问题")

    def handle(self, *args, subcommand, **options):
        try:
            getattr(self, f"_{subcommand.replace('-', '_')}")(options)
        except ServiceError as exc:
            raise CommandError(exc.full_message()) from None

    def _import(self, options):
        user = get_user_model().objects.filter(username=options["username"]).first()
        if user is None:
            raise CommandError(f"账号不存在：{options['username']}")
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"文件不存在：{path}")
        done = excel.import_articles(user, path.read_bytes(), publish=options["publish"])
        self.stdout.write(f"新建 {done['created']} 条，更新 {done['updated']} 条，发布 {done['published']} 条")

    def _export(self, options):
        Path(options["file"]).write_bytes(excel.export())
        self.stdout.write(f"已导出：{options['file']}")

    def _remind(self, options):
        rows = [{"owner": a.owner.name, "code": a.code, "title": a.title, "valid_until": a.valid_until.isoformat()}
                for a in services.expiring(within_days=options["days"])]
        if options["json"]:
            self.stdout.write(json.dumps(rows, ensure_ascii=False))
            return
        for r in rows:
            self.stdout.write(f"{r['owner']}\t{r['code']}\t{r['title']}\t失效日期 {r['valid_until']}")
        self.stdout.write(f"共 {len(rows)} 条已失效或将在 {options['days']} 天内失效")

    def _purge_misses(self, options):
        self.stdout.write(f"已删除 {services.purge_misses()} 条超过保留期的未命中问题")
