"""The qualifications policies commonly ask for; more are added in the admin."""

from django.db import migrations

from jiesu.enterprise.defaults import QUALIFICATIONS, create_qualifications


def add(apps, schema_editor):
    create_qualifications(apps.get_model("enterprise", "Qualification"))


def remove(apps, schema_editor):
    apps.get_model("enterprise", "Qualification").objects.filter(code__in=[c for c, _ in QUALIFICATIONS]).delete()


class Migration(migrations.Migration):
    dependencies = [("enterprise", "0001_initial")]

    operations = [migrations.RunPython(add, remove)]
