"""Storing many new rows at once: `insert_all`, the burst's `bulk_create`.

On PostgreSQL, Django's `bulk_create` sends one INSERT … SELECT FROM UNNEST(arrays) whose
arrays psycopg quotes client-side, value by value in Python, after Django has prepared every
value of every field: for the ingest worker's bursts of a hundred mails that was a third of
its CPU. `insert_all` sends the same rows as one INSERT … VALUES … RETURNING id with its values
bound server-side (`psycopg.RawCursor`: `$n` parameters, written by psycopg's C adapters, no
quoting and no parsing of the statement for placeholders), taking the values as they are in
the objects (only a value that needs it goes through its field's own conversion). One
statement per call, as before; the rows, their triggers and their ids are `bulk_create`'s,
and a row whose id is set keeps it. On SQLite, and for a single row, it is `bulk_create`.
(COPY was tried too: as cheap to send, but the ids then take a SELECT of their own.)
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Iterable
from datetime import date, datetime
from typing import Any, TypeVar

import psycopg
from django.db import connection, models
from django.db.models import Model

M = TypeVar("M", bound=Model)

# Fewer rows than this go through `bulk_create` (a single row costs it no arrays).
BOUND_FROM = 2
# PostgreSQL takes at most 65,535 parameters in one statement.
MAX_PARAMETERS = 65_000

# Fields whose Python value psycopg writes as the column wants it: no conversion of their own.
_AS_IS: tuple[type[models.Field[Any, Any]], ...] = (
    models.AutoField,
    models.BigAutoField,
    models.SmallAutoField,
    models.IntegerField,
    models.BooleanField,
    models.DateTimeField,
    models.DateField,
    models.FloatField,
)
_TEXT: tuple[type[models.Field[Any, Any]], ...] = (models.CharField, models.TextField)
_PLAIN = frozenset({type(None), int, bool, float, datetime, date})
_PLAIN_TEXT = frozenset({type(None), str})


def insert_all(objects: Iterable[M]) -> list[M]:
    """Insert `objects` (new rows of one model) as `Model.objects.bulk_create(objects)` does:
    sets their ids and returns them."""
    rows = list(objects)
    if not rows:
        return rows
    model = type(rows[0])
    if connection.vendor != "postgresql" or len(rows) < BOUND_FROM:
        return model._default_manager.bulk_create(rows)
    plan = _plan(model)
    connection.ensure_connection()
    # As bulk_create: the rows that have their id, then those that take one from the sequence.
    for group, with_pk in (
        ([obj for obj in rows if obj.pk is not None], True),
        ([obj for obj in rows if obj.pk is None], False),
    ):
        converters = plan.converters if with_pk else plan.converters[1:]
        per_statement = max(1, MAX_PARAMETERS // len(converters))
        for start in range(0, len(group), per_statement):
            _insert(plan, group[start : start + per_statement], converters, with_pk=with_pk)
    for obj in rows:
        obj._state.adding = False
        obj._state.db = connection.alias
    return rows


def _insert(
    plan: _Plan, group: list[M], converters: list[Callable[[Model], Any]], *, with_pk: bool
) -> None:
    if not group:
        return
    params: list[Any] = []
    for obj in group:
        for relation in plan.relations:
            _take_related_id(obj, relation)
        params += [convert(obj) for convert in converters]
    sql = plan.statement(len(group), with_pk=with_pk)
    started = time.monotonic()
    # A repeated unique value raises Django's IntegrityError, as from bulk_create.
    with connection.wrap_database_errors, psycopg.RawCursor(connection.connection) as cursor:
        # Never prepared: a connection pooler in transaction mode may hand the next statement
        # to another server connection, where a prepared statement does not exist.
        cursor.execute(sql, params, prepare=False)
        ids = None if with_pk else cursor.fetchall()
    if connection.queries_logged:  # counted as Django counts its own statements
        connection.queries_log.append({"sql": sql, "time": f"{time.monotonic() - started:.3f}"})
    if ids is not None:
        for obj, (pk,) in zip(group, ids, strict=True):
            obj.pk = pk


class _Plan:
    """One model's columns, how each value is read, and its statements by number of rows."""

    def __init__(self, model: type[Model]) -> None:
        meta = model._meta
        quote = connection.ops.quote_name
        fields = [field for field in meta.concrete_fields if not field.generated]
        fields.sort(key=lambda field: field is not meta.pk)  # the id first
        self.table = quote(meta.db_table)
        self.columns = [quote(str(field.column)) for field in fields]
        self.pk_column = quote(str(meta.pk.column))
        self.relations = [field for field in fields if field.is_relation]
        self.converters = [_converter(field) for field in fields]
        self.statements: dict[tuple[int, bool], str] = {}

    def statement(self, count: int, *, with_pk: bool) -> str:
        key = (count, with_pk)
        sql = self.statements.get(key)
        if sql is None:
            columns = self.columns if with_pk else self.columns[1:]
            width = len(columns)
            values = ", ".join(
                "(" + ", ".join(f"${row * width + i + 1}" for i in range(width)) + ")"
                for row in range(count)
            )
            sql = f"INSERT INTO {self.table} ({', '.join(columns)}) VALUES {values}"  # noqa: S608
            if not with_pk:
                sql += f" RETURNING {self.pk_column}"
            if len(self.statements) < 256:
                self.statements[key] = sql
        return sql


@functools.cache
def _plan(model: type[Model]) -> _Plan:
    return _Plan(model)


def _converter(field: models.Field[Any, Any]) -> Callable[[Model], Any]:
    """How one field's value is read from an object: as `bulk_create` would send it. A value
    of a plain type goes as it is; any other (a choice's enum member, a lazy translation, a
    number given as text, JSON) through the field's own conversion."""
    attname = field.attname
    if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
        return lambda obj: field.pre_save(obj, add=True)  # the time now, set on the object
    as_is = _PLAIN_TEXT if isinstance(field, _TEXT) else _PLAIN
    if not isinstance(field, (*_AS_IS, *_TEXT)) and not (
        isinstance(field, models.ForeignKey) and isinstance(field.target_field, _AS_IS)
    ):
        return lambda obj: field.get_db_prep_save(getattr(obj, attname), connection)

    def read(obj: Model) -> Any:
        value = getattr(obj, attname)
        if type(value) in as_is:
            return value
        return field.get_db_prep_save(value, connection)

    return read


def _take_related_id(obj: Model, field: Any) -> None:
    """A related object given before it had its id (`Participant(ticket=ticket)` with the
    ticket inserted since): its id now, as `bulk_create` takes it."""
    if getattr(obj, field.attname) is None and field.is_cached(obj):
        related = field.get_cached_value(obj)
        if related is not None:
            if related.pk is None:
                raise ValueError(
                    f"insert_all() of {type(obj).__name__}: its {field.name} is not stored yet"
                )
            setattr(obj, field.attname, related.pk)
