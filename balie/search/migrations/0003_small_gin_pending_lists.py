"""PostgreSQL: the GIN indexes on subjects and customers keep at most 256 kB of not yet merged
entries, which every search scans (see `schema.SMALL_PENDING_LIST`)."""

from django.db import migrations

from balie.search import schema


def forwards(apps, schema_editor) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in schema.SMALL_PENDING_LIST:
        schema_editor.execute(
            f"ALTER INDEX IF EXISTS {name} "
            f"SET (gin_pending_list_limit = {int(schema.PENDING_LIST_KB)})"
        )


def backwards(apps, schema_editor) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in schema.SMALL_PENDING_LIST:
        schema_editor.execute(f"ALTER INDEX IF EXISTS {name} RESET (gin_pending_list_limit)")


class Migration(migrations.Migration):
    dependencies = [("search", "0002_message_vector")]

    operations = [migrations.RunPython(forwards, backwards)]
