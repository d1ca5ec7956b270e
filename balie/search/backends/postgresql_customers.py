"""PostgreSQL: the customers a search query names, by customer number, identity (e-mail,
phone), name words (prefixes, `simple` configuration) or contract number, for the PostgreSQL
search backend (`postgresql.customer_ids`, `customer_ids_at_once`)."""

from __future__ import annotations

import json
from typing import Any

from django.db import connection

from . import query_words

# Customers matching a name or contract number that are sorted by name to pick the first ones.
CUSTOMER_MATCHES = 1_000


def _prefix_tsquery(q: str) -> str:
    """'jans' & 'carl' style prefix query from the words of q (letters and digits only, so
    nothing needs escaping)."""
    return " & ".join(f"'{word}':*" for word in query_words(q)[:8])


def _name_or_contract(q: str) -> tuple[str, list[Any]]:
    """Customers whose name has words starting with q's words, or with q as contract number:
    at most CUSTOMER_MATCHES of them, sorted by name (a lone common name word, "de", 108k of
    333k customers, would otherwise sort a third of the table: 60 ms)."""
    prefix = _prefix_tsquery(q)
    params: list[Any] = [json.dumps([q])]
    conditions = ["contract_numbers @> %s::jsonb"]
    if prefix:
        conditions.append("to_tsvector('simple'::regconfig, name) @@ to_tsquery('simple', %s)")
        params.append(prefix)
    sql = (
        "SELECT id, name FROM customers_customer WHERE merged_into_id IS NULL AND ("  # noqa: S608 - constants
        + " OR ".join(conditions)
        + ") LIMIT %s"
    )
    return sql, [*params, CUSTOMER_MATCHES]


def customer_ids(q: str, *, limit: int) -> list[int]:
    found, params = _name_or_contract(q)
    with connection.cursor() as cursor:
        cursor.execute(
            f"WITH found AS MATERIALIZED ({found}) SELECT id FROM found ORDER BY name LIMIT %s",  # noqa: S608 - constants
            [*params, limit],
        )
        return [row[0] for row in cursor.fetchall()]


def customer_ids_at_once(
    q: str, *, limit: int, numbers: list[str], kinds: list[str], identity_values: list[str]
) -> list[int]:
    """In one statement, in this order: the customers with one of these customer `numbers`
    (by name), those with an identity of these kinds and values, and `customer_ids(q)`. Ids may
    repeat."""
    found, params = _name_or_contract(q)
    with connection.cursor() as cursor:
        cursor.execute(
            "(SELECT id, 0 AS part, name FROM customers_customer "  # noqa: S608 - constants
            "WHERE merged_into_id IS NULL AND number = ANY(%s) ORDER BY name LIMIT %s) "
            "UNION ALL (SELECT i.customer_id, 1, '' FROM customers_identity AS i "
            "JOIN customers_customer AS c ON c.id = i.customer_id WHERE c.merged_into_id IS NULL "
            "AND i.kind = ANY(%s) AND i.value = ANY(%s) LIMIT %s) "
            f"UNION ALL (WITH found AS MATERIALIZED ({found}) "
            "SELECT id, 2, name FROM found ORDER BY name LIMIT %s) ORDER BY part, name",
            [numbers, limit, kinds, identity_values, limit, *params, limit],
        )
        return [row[0] for row in cursor.fetchall()]
