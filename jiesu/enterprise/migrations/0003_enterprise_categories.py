"""The 涉企诉求 category tree that 政企直通车 files in (issue 20). Units are set per deployment (admin or demo)."""

from django.db import migrations

from jiesu.enterprise.defaults import CATEGORY_LEAVES, CATEGORY_ROOT, create_categories


def add(apps, schema_editor):
    create_categories(apps.get_model("directory", "Category"))


def remove(apps, schema_editor):
    Category = apps.get_model("directory", "Category")
    Category.objects.filter(code__in=[c for c, _ in CATEGORY_LEAVES], tickets__isnull=True).delete()
    Category.objects.filter(code=CATEGORY_ROOT[0], children__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("enterprise", "0002_qualifications"), ("directory", "0001_initial")]

    operations = [migrations.RunPython(add, remove)]
