"""Room on each page for HOT updates of tickets (PostgreSQL).

A ticket is updated many times in its life, and the time-limit sweep flags thousands at once (催办: supervised,
升级: escalated_at). With full pages every such update writes a new entry in each of the table's ~20 indexes; with
15 % of each page kept free, an update that changes no indexed column stays on its page and writes none
(a HOT update). Measured: the URGE flag over 50,000 tickets 7.7 s → see docs/benchmarks.md (SLA sweep).
Existing rows move to the roomier layout as they are rewritten (VACUUM FULL or pg_repack, see docs/operations.md).
"""

from django.db import migrations, models

FILLFACTOR = 85


def set_fillfactor(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"ALTER TABLE tickets_ticket SET (fillfactor = {FILLFACTOR})")


def reset_fillfactor(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE tickets_ticket RESET (fillfactor)")


class Migration(migrations.Migration):
    dependencies = [("tickets", "0012_ticket_public")]

    operations = [
        migrations.AlterField(
            model_name="ticket",
            name="escalated_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="升级督办时间"),
        ),
        migrations.RunPython(set_fillfactor, reset_fillfactor, elidable=False),
    ]
