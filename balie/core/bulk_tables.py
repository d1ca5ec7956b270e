"""Writing many generated rows straight into tables: COPY on PostgreSQL, executemany on SQLite.

Used by the data generator (`balie.demo.seeding`). Nothing here calls actions: it is for data
that is made, not for changes made on someone's behalf.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from django.db import connection, models
from django.utils import timezone


def dt(epoch: float) -> Any:
    """A timestamp (seconds since the epoch) in the form the database driver takes fastest."""
    if connection.vendor == "postgresql":
        return datetime.fromtimestamp(epoch, UTC)
    return datetime.fromtimestamp(epoch, UTC).replace(tzinfo=None).isoformat(" ")


def _field_default(table: str, field: models.Field) -> Any:
    if field.has_default():
        value = field.get_default()
    elif field.null:
        value = None
    elif isinstance(field, models.CharField | models.TextField) and field.blank:
        value = ""
    elif isinstance(field, models.DateTimeField):
        value = timezone.now()
    else:
        raise RuntimeError(f"no value for {table}.{field.column}")
    if isinstance(field, models.JSONField):
        return json.dumps(value)
    if isinstance(value, datetime):
        return dt(value.timestamp())
    return value


class TableWriter:
    """Writes rows, tuples in the order of `fields`, into a model's table. Every other column
    gets its field's default (so columns added later by another app do not break it)."""

    def __init__(self, model: type[models.Model], fields: Sequence[str]) -> None:
        meta = model._meta
        self.table = meta.db_table
        self.columns = [meta.get_field(name).column for name in fields]
        extras = []
        for field in meta.concrete_fields:
            if field.primary_key or field.column in self.columns:
                continue
            if getattr(field, "generated", False):
                continue
            self.columns.append(field.column)
            extras.append(_field_default(self.table, field))
        self.extras = tuple(extras)

    def write(self, rows: Sequence[tuple[Any, ...]]) -> None:
        if not rows:
            return
        extras = self.extras
        if extras:
            rows = [row + extras for row in rows]
        quote = connection.ops.quote_name
        cols = ", ".join(quote(c) for c in self.columns)
        table = quote(self.table)
        if connection.vendor == "postgresql":
            with (
                connection.cursor() as cursor,
                cursor.cursor.copy(f"COPY {table} ({cols}) FROM STDIN") as copy,
            ):
                for row in rows:
                    copy.write_row(row)
            return
        marks = ", ".join("?" * len(self.columns))
        connection.ensure_connection()
        # The plain sqlite3 connection, inside the caller's transaction.
        connection.connection.executemany(
            f"INSERT INTO {table} ({cols}) VALUES ({marks})",  # noqa: S608
            rows,
        )


def allocate_ids(model: type[models.Model], count: int, *, minimum: int = 1) -> list[int]:
    """Take `count` ids for rows of `model` from its sequence, so that the application's next
    insert does not collide. Call inside the batch's transaction."""
    table = model._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [table])
            sequence = cursor.fetchone()[0]
            cursor.execute("SELECT last_value, is_called FROM " + sequence)  # noqa: S608
            last_value, is_called = cursor.fetchone()
            if (last_value if is_called else last_value - 1) < minimum - 1:
                cursor.execute("SELECT setval(%s, %s, true)", [sequence, minimum - 1])
            cursor.execute("SELECT nextval(%s) FROM generate_series(1, %s)", [sequence, count])
            return [row[0] for row in cursor.fetchall()]
        # SQLite: the batch holds the write lock (BEGIN IMMEDIATE), so max(id) is ours.
        cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {table}")  # noqa: S608
        highest = cursor.fetchone()[0]
        cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [table])
        found = cursor.fetchone()
        start = max(highest, found[0] if found else 0, minimum - 1) + 1
        return list(range(start, start + count))


@contextmanager
def bulk_load(
    tables: Sequence[str], *, drop_indexes: bool, progress: Callable[[str], None] | None = None
) -> Iterator[None]:
    """Around a big load. On PostgreSQL: commits without waiting for the WAL flush, and
    optionally the plain (non-unique) indexes of `tables` are dropped during the load and built
    again afterwards (one sort beats millions of index inserts). Then ANALYZE."""
    saved: list[str] = []
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET synchronous_commit = off")
            if drop_indexes:
                cursor.execute(
                    """
                    SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid)
                    FROM pg_index i JOIN pg_class t ON t.oid = i.indrelid
                    WHERE t.relname = ANY(%s) AND NOT i.indisunique AND NOT i.indisprimary
                    AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)
                    """,
                    [list(tables)],
                )
                for name, definition in cursor.fetchall():
                    saved.append(definition)
                    cursor.execute(f"DROP INDEX {name}")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            if saved:
                cursor.execute("SET maintenance_work_mem = '512MB'")
            for definition in saved:
                cursor.execute(definition)
                if progress:
                    progress(definition.split(" USING ")[0])
            for table in tables:
                cursor.execute(f"ANALYZE {connection.ops.quote_name(table)}")
            if connection.vendor == "postgresql":
                cursor.execute("SET synchronous_commit = on")
