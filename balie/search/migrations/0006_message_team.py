"""PostgreSQL: each message row carries its ticket's team (`tickets_message.team_id`, kept by
triggers, see `schema.MESSAGE_TEAM`), so that search skips the hits of hidden teams on the row
it reads. Existing messages are filled in one rewrite of the table (locked meanwhile; at
1,000,000 tickets see docs/performance.md). SQLite (the embedded default) gets nothing here."""

from django.db import migrations

from balie.search import schema


def forwards(apps, schema_editor) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("SET LOCAL maintenance_work_mem = '256MB'")  # the indexes' rebuild
    for sql in schema.MESSAGE_TEAM:
        schema_editor.execute(sql)
    schema_editor.execute("ANALYZE tickets_message")


def backwards(apps, schema_editor) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    for sql in schema.MESSAGE_TEAM_DROP:
        schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [
        ("search", "0005_subject_vector_index"),
        ("tickets", "0009_threading_from_recorded_reasons"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
