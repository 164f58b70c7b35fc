from django.core.management.base import BaseCommand

from jiesu.directory.permissions import CATALOGUE
from jiesu.tickets.workflow import TRANSITIONS, graph, in_order


class Command(BaseCommand):
    help = "输出工单流转表：Mermaid 状态图（默认）或 Markdown 表格（--table）"

    def add_arguments(self, parser):
        parser.add_argument("--table", action="store_true", help="输出 Markdown 表格")

    def handle(self, *args, table, **options):
        if not table:
            self.stdout.write(graph())
            return
        self.stdout.write("| 动作 action | 从 from | 到 to | 权限 permission | 角色 roles | 范围 scope | 必填 required |")
        self.stdout.write("|---|---|---|---|---|---|---|")
        for t in TRANSITIONS.values():
            sources = "、".join(s.label for s in in_order(t.sources)) or "（新建）"
            target = t.target.label if t.target else "（不变）"
            permission = CATALOGUE[t.perm]
            roles = "、".join(sorted(permission.roles))
            self.stdout.write(
                f"| {t.action.label} `{t.action.value}` | {sources} | {target} | `{t.perm}` {permission.label} "
                f"| {roles} | {t.scope.name if t.manual else '（随母单答复自动执行）'} | {', '.join(t.required) or '—'} |"
            )
