"""Full-text search structures; only the SQL of the database in use runs."""

from django.db import migrations


def create(apps, schema_editor):
    from balie.search import schema

    connection = schema_editor.connection
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            schema.create_postgres_indexes(cursor)
        elif connection.vendor == "sqlite":
            schema.ensure_sqlite_fts(cursor)


def drop(apps, schema_editor):
    from balie.search import schema

    connection = schema_editor.connection
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            schema.drop_postgres_indexes(cursor)
        elif connection.vendor == "sqlite":
            schema.drop_sqlite_fts(cursor)


class Migration(migrations.Migration):
    dependencies = [
        ("tickets", "0002_ticket_numbers_from_10001"),
        ("customers", "0001_initial"),
    ]

    operations = [migrations.RunPython(create, drop)]
