"""PostgreSQL: ticket subjects are searched through their stored vector (GIN on
tickets_ticket.search_vector) instead of the expression index on `to_tsvector('dutch',
subject)`, whose expression every row test of a newest-first walk recomputed (2 µs a row
instead of 0.5)."""

from django.db import migrations

from balie.search import schema


def forwards(apps, schema_editor) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("SET LOCAL maintenance_work_mem = '256MB'")
    schema_editor.execute(schema.SUBJECT_VECTOR_INDEX)
    schema_editor.execute("DROP INDEX IF EXISTS search_ticket_subject_fts")
    schema_editor.execute("ANALYZE tickets_ticket")


def backwards(apps, schema_editor) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(schema.POSTGRES_INDEXES["search_ticket_subject_fts"])
    schema_editor.execute("DROP INDEX IF EXISTS search_ticket_vector")


class Migration(migrations.Migration):
    dependencies = [("search", "0004_subject_vector")]

    operations = [migrations.RunPython(forwards, backwards)]
