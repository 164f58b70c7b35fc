"""The 涉企诉求 category tree that 政企直通车 files in (issue 20). Units are set per deployment (admin or demo)."""

from django.db import migrations

ROOT = ("QY", "涉企服务")
LEAVES = [("QY01", "融资"), ("QY02", "用工"), ("QY03", "用地"), ("QY04", "审批"), ("QY05", "政策兑现"),
          ("QY06", "拖欠账款"), ("QY07", "执法检查"), ("QY08", "水电气"), ("QY09", "其他")]


def add(apps, schema_editor):
    Category = apps.get_model("directory", "Category")
    root, _ = Category.objects.get_or_create(code=ROOT[0], defaults={"name": ROOT[1], "level": 1})
    for code, name in LEAVES:
        Category.objects.get_or_create(code=code, defaults={"name": name, "parent": root, "level": 2})


def remove(apps, schema_editor):
    Category = apps.get_model("directory", "Category")
    Category.objects.filter(code__in=[c for c, _ in LEAVES], tickets__isnull=True).delete()
    Category.objects.filter(code=ROOT[0], children__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("enterprise", "0002_qualifications"), ("directory", "0001_initial")]

    operations = [migrations.RunPython(add, remove)]
