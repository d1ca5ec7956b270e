"""PostgreSQL: search messages through their stored vector (GIN on
tickets_message.search_vector) 
instead of an expression index whose expression every row test of a walk recomputes."""

from django.db import migrations

from balie.search import schema

OLD_INDEX = schema.POSTGRES_INDEXES["search_message_body_fts"]


def forwards(apps, schema_editor) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("SET LOCAL maintenance_work_mem = '256MB'")
    schema_editor.execute(schema.MESSAGE_VECTOR_INDEX)
    schema_editor.execute("DROP INDEX IF EXISTS search_message_body_fts")
    schema_editor.execute("ANALYZE tickets_message")


def backwards(apps, schema_editor) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(OLD_INDEX)
    schema_editor.execute("DROP INDEX IF EXISTS search_message_vector")


class Migration(migrations.Migration):
    dependencies = [
        ("search", "0001_fulltext"),
        ("tickets", "0005_inbox_indexes_message_search_vector"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
