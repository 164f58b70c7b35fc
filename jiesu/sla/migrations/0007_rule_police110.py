from django.db import migrations


def add_police_rule(apps, schema_editor):
    from jiesu.sla.defaults import create_default_rules

    create_default_rules(apps.get_model("sla", "TimeLimitRule"))  # adds 110转办 (the urgent limit of 110's transfers)


class Migration(migrations.Migration):

    dependencies = [
        ('sla', '0006_rule_enterprise'),
    ]

    operations = [
        migrations.RunPython(add_police_rule, migrations.RunPython.noop),
    ]
