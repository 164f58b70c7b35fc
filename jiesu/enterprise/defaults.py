"""Rows the enterprise app's data migrations write, in one place: the migrations call these, and so does the test
suite when a transactional test has emptied the tables (jiesu/conftest.py)."""

QUALIFICATIONS = [
    ("high_tech", "高新技术企业"),
    ("tech_sme", "科技型中小企业"),
    ("srdi_sme", "专精特新中小企业"),
    ("little_giant", "专精特新“小巨人”企业"),
    ("above_scale", "规模以上企业"),
    ("innovative_sme", "创新型中小企业"),
    ("foreign_invested", "外商投资企业"),
    ("key_enterprise", "重点企业"),
]
# The 涉企诉求 category tree that 政企直通车 files in; units are set per deployment (admin or demo).
CATEGORY_ROOT = ("QY", "涉企服务")
CATEGORY_LEAVES = [("QY01", "融资"), ("QY02", "用工"), ("QY03", "用地"), ("QY04", "审批"), ("QY05", "政策兑现"),
                   ("QY06", "拖欠账款"), ("QY07", "执法检查"), ("QY08", "水电气"), ("QY09", "其他")]


def create_qualifications(Qualification) -> None:
    for code, name in QUALIFICATIONS:
        Qualification.objects.get_or_create(code=code, defaults={"name": name})


def create_categories(Category) -> None:
    root, _ = Category.objects.get_or_create(code=CATEGORY_ROOT[0], defaults={"name": CATEGORY_ROOT[1], "level": 1})
    for code, name in CATEGORY_LEAVES:
        Category.objects.get_or_create(code=code, defaults={"name": name, "parent": root, "level": 2})
