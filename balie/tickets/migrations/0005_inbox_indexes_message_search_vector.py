"""Indexes that let every inbox view × sort read its page in index order (all databases), and,
on PostgreSQL only, a stored `tsvector` of each message's text, `tickets_message.search_vector`,
kept current by a trigger, so that full-text search tests a row by reading it instead of
recomputing `to_tsvector('dutch', body_text)` (≈1 µs instead of ≈50 µs per row; see
docs/performance.md). The search app's GIN index is built on it (search migration 0002).

The column is deliberately not a field of `Message`: nothing in Django reads or writes it, so
loading messages does not carry their vectors along and no save can overwrite it. SQLite (the
embedded default) searches through its FTS5 table instead and gets nothing here.
"""

from django.db import migrations, models

CREATE = [
    "ALTER TABLE tickets_message ADD COLUMN IF NOT EXISTS search_vector tsvector",
    """
    CREATE OR REPLACE FUNCTION tickets_message_search_vector() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'INSERT' OR NEW.body_text IS DISTINCT FROM OLD.body_text
           OR NEW.search_vector IS NULL THEN
            NEW.search_vector := to_tsvector('dutch'::regconfig, COALESCE(NEW.body_text, ''));
        END IF;
        RETURN NEW;
    END
    $$
    """,
    "DROP TRIGGER IF EXISTS tickets_message_search_vector ON tickets_message",
    """
    CREATE TRIGGER tickets_message_search_vector
    BEFORE INSERT OR UPDATE ON tickets_message
    FOR EACH ROW EXECUTE FUNCTION tickets_message_search_vector()
    """,
    # Existing messages: one pass (minutes per million messages; the table is locked meanwhile).
    "UPDATE tickets_message SET search_vector = to_tsvector('dutch'::regconfig, body_text) "
    "WHERE search_vector IS NULL",
]

DROP = [
    "DROP TRIGGER IF EXISTS tickets_message_search_vector ON tickets_message",
    "DROP FUNCTION IF EXISTS tickets_message_search_vector()",
    "ALTER TABLE tickets_message DROP COLUMN IF EXISTS search_vector",
]


def _run(statements: list[str]):
    def run(apps, schema_editor) -> None:
        if schema_editor.connection.vendor != "postgresql":
            return
        for sql in statements:
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("tickets", "0004_ticket_open_recent"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="ticket",
            index=models.Index(fields=["-last_message_at", "-id"], name="ticket_recent"),
        ),
        migrations.AddIndex(
            model_name="ticket",
            index=models.Index(fields=["sla_next_due_at", "id"], name="ticket_sla_due"),
        ),
        migrations.AddIndex(
            model_name="ticket",
            index=models.Index(
                condition=models.Q(
                    ("status__in", ("nieuw", "open", "wacht_op_klant", "in_de_wacht"))
                ),
                fields=["id"],
                name="ticket_open_number",
            ),
        ),
        migrations.RunPython(_run(CREATE), _run(DROP), elidable=False),
    ]
