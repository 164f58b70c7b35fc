from django.core.management.base import BaseCommand

from jiesu.demo import data, seed


class Command(BaseCommand):
    help = "载入演示数据：虚构的江州市明湖区（单位、区划、分类、账号与各状态工单）。已载入时不重复。"

    def add_arguments(self, parser):
        parser.add_argument("--tickets", type=int, default=300, help="生成的工单数（默认300）")

    def handle(self, *args, tickets, **options):
        if seed.is_seeded():
            self.stdout.write("演示数据已存在，跳过载入。")
            result = seed.summary()
        else:
            result = seed.seed(tickets=tickets)
        self.stdout.write(
            f"单位 {result['departments']} 个，分类 {result['categories']} 个，工单 {result['tickets']} 件。"
        )
        self.stdout.write(f"演示账号（密码均为 {data.PASSWORD}）：")
        for username, full_name, _role, _ in data.ACCOUNTS:
            self.stdout.write(f"  {username:<10} {full_name}")
        self.stdout.write("  cb_<单位编码小写> 各承办单位的承办人，例如 cb_mhjd001（东湖街道办事处）")
        name, phone, _ = data.DEMO_CONTACT
        self.stdout.write(f"政企直通车 /qiye/：统一社会信用代码 {seed.DEMO_ENTERPRISE[0]}，手机号 {phone}（{name}），"
                          f"密码 {data.PASSWORD}")
        if result.get("open311_key"):
            self.stdout.write(f"Open311 合作方“{data.OPEN311_PARTNER}”的 api_key（只显示这一次）：{result['open311_key']}")
