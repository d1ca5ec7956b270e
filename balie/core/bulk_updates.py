"""Changing many rows at once, each to values of its own."""

from __future__ import annotations

from typing import Any

from django.db import connection
from django.db.models import Model


def update_each(model: type[Model], fields: list[str], objects: list[Any]) -> None:
    """Write `fields` of each object, by primary key: one statement sent for all rows
    (executemany, which psycopg pipelines), instead of `bulk_update`'s CASE per row, whose
    building costs more than the write. Column names come from the model, values go through
    the fields' own conversion."""
    if not objects:
        return
    meta = model._meta
    columns = [meta.get_field(name) for name in fields]
    quote = connection.ops.quote_name
    sets = ", ".join(f"{quote(field.column)} = %s" for field in columns)
    sql = f"UPDATE {quote(meta.db_table)} SET {sets} WHERE {quote(meta.pk.column)} = %s"  # noqa: S608
    rows = [
        [
            *(field.get_db_prep_save(getattr(obj, field.attname), connection) for field in columns),
            obj.pk,
        ]
        for obj in objects
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)
