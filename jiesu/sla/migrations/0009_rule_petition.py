from django.db import migrations


def add_petition_rule(apps, schema_editor):
    from jiesu.sla.defaults import create_default_rules

    create_default_rules(apps.get_model("sla", "TimeLimitRule"))  # adds 信访事项 (60 days to conclude)


class Migration(migrations.Migration):

    dependencies = [
        ('sla', '0008_timelimitrule_wage_arrears'),
    ]

    operations = [
        migrations.RunPython(add_petition_rule, migrations.RunPython.noop),
    ]
