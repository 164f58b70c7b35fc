from django.db import migrations, models


def add_enterprise_rule(apps, schema_editor):
    from jiesu.sla.defaults import create_default_rules

    create_default_rules(apps.get_model("sla", "TimeLimitRule"))  # adds 涉企诉求, now that rules can say 涉企


class Migration(migrations.Migration):

    dependencies = [
        ('sla', '0005_alert_ticket_index_in_unique'),
    ]

    operations = [
        migrations.AddField(
            model_name='timelimitrule',
            name='enterprise',
            field=models.BooleanField(blank=True, help_text='是：只用于涉企诉求（填有企业名称或统一社会信用代码，或来自政企直通车）；空：不限', null=True, verbose_name='涉企诉求'),
        ),
        # Backwards the rule stays; without its criterion it ties with 一般诉求, which is older and wins.
        migrations.RunPython(add_enterprise_rule, migrations.RunPython.noop),
    ]
