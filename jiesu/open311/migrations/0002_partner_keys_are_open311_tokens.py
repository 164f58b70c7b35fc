"""Existing partners' keys become Open311 keys: they no longer open the REST API."""

from django.db import migrations


def forwards(apps, schema_editor):
    ApiToken = apps.get_model("core", "ApiToken")
    Partner = apps.get_model("open311", "Partner")
    ApiToken.objects.filter(user_id__in=Partner.objects.values("user_id")).update(kind="open311")


def backwards(apps, schema_editor):
    apps.get_model("core", "ApiToken").objects.filter(kind="open311").update(kind="api")


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0002_token_kind"),
        ("open311", "0001_initial"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
