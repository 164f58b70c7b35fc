from django.db import migrations


def forwards(apps, schema_editor):
    from jiesu.sla.defaults import create_default_rules

    create_default_rules(apps.get_model("sla", "TimeLimitRule"))


class Migration(migrations.Migration):
    dependencies = [("sla", "0001_initial")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
