"""PostgreSQL: ticket subjects get a stored vector, `tickets_ticket.search_vector`
(`to_tsvector('dutch', subject)`, kept by a trigger), as messages have since tickets migration
0005; existing tickets are filled in one pass. Its GIN index follows in migration 0005. SQLite
(the embedded default) searches its FTS5 table and gets nothing here."""

from django.db import migrations

from balie.search import schema


def forwards(apps, schema_editor) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    for sql in schema.SUBJECT_VECTOR:
        schema_editor.execute(sql)


def backwards(apps, schema_editor) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    for sql in schema.SUBJECT_VECTOR_DROP:
        schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("search", "0003_small_gin_pending_lists")]

    operations = [migrations.RunPython(forwards, backwards)]
