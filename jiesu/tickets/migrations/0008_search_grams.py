from django.db import migrations, models


def fill(apps, schema_editor):
    """Index the tickets registered before; on PostgreSQL build the GIN index."""
    from jiesu.tickets import search

    Ticket = apps.get_model("tickets", "Ticket")
    batch, after = 2000, 0
    while True:
        rows = list(Ticket.objects.filter(pk__gt=after).order_by("pk").only("pk", *search.FIELDS)[:batch])
        if not rows:
            break
        for t in rows:
            t.search_grams = search.document(t)
        Ticket.objects.bulk_update(rows, ["search_grams"])
        after = rows[-1].pk
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(search.PG_INDEX)


def unfill(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS tickets_ticket_search_grams")


class Migration(migrations.Migration):

    dependencies = [
        ("tickets", "0007_incomingcall"),
    ]

    operations = [
        migrations.AddField(
            model_name="ticket",
            name="search_grams",
            field=models.TextField(blank=True, default="", editable=False, verbose_name="检索索引"),
        ),
        migrations.RunPython(fill, unfill),
    ]
