"""A message's id taken before the message is filed.

A chat shows a visitor's message the moment it is stored (as an envelope) and files it into
the ticket a moment later, in a batch behind. The id it is shown with, acknowledged with and
resumed from is the id the filed message gets: taken here from the messages' own sequence, so
that it sorts among the answers written meanwhile exactly where the visitor wrote it, and
`file_messages` files the message with it (`Filing.message_id`).
"""

from __future__ import annotations

from django.db import connection, transaction

from .models import Message


def reserve_message_id() -> int:
    """The next id of the messages' sequence, never given to any other message."""
    table = Message._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT nextval(pg_get_serial_sequence(%s, 'id'))", [table])
            return int(cursor.fetchone()[0])
        if connection.vendor != "sqlite":
            raise NotImplementedError(connection.vendor)
        # SQLite (AUTOINCREMENT): the table's counter in sqlite_sequence; writers are
        # serialised, and an id above the counter is never handed out again.
        with transaction.atomic():
            cursor.execute(
                "UPDATE sqlite_sequence SET seq = seq + 1 WHERE name = %s RETURNING seq", [table]
            )
            row = cursor.fetchone()
            if row is not None:
                return int(row[0])
            cursor.execute(f'SELECT COALESCE(MAX(id), 0) + 1 FROM "{table}"')  # noqa: S608
            taken = int(cursor.fetchone()[0])
            cursor.execute(
                "INSERT INTO sqlite_sequence (name, seq) VALUES (%s, %s)", [table, taken]
            )
            return taken
