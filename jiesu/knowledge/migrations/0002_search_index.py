from django.db import migrations


def _execute(schema_editor, statements: dict) -> None:
    for sql in statements.get(schema_editor.connection.vendor, []):
        schema_editor.execute(sql)


def forwards(apps, schema_editor):
    from jiesu.knowledge import search

    _execute(schema_editor, {"sqlite": search.SQLITE_SETUP, "postgresql": search.PG_SETUP})


def backwards(apps, schema_editor):
    from jiesu.knowledge import search

    _execute(schema_editor, {"sqlite": search.SQLITE_TEARDOWN, "postgresql": search.PG_TEARDOWN})


class Migration(migrations.Migration):
    dependencies = [("knowledge", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
