from django.db import migrations


def start_numbers(apps, schema_editor):
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT setval(pg_get_serial_sequence('tickets_ticket', 'id'), 10000, true)")
        elif connection.vendor == "sqlite":
            cursor.execute("DELETE FROM sqlite_sequence WHERE name = 'tickets_ticket'")
            cursor.execute("INSERT INTO sqlite_sequence (name, seq) VALUES ('tickets_ticket', 10000)")


class Migration(migrations.Migration):
    dependencies = [("tickets", "0001_initial")]

    operations = [migrations.RunPython(start_numbers, migrations.RunPython.noop)]
