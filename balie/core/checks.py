"""System checks of the installation's surroundings (`manage.py check --database default`,
also run by `migrate`)."""

from __future__ import annotations

from typing import Any

from django.core.checks import Tags, Warning, register
from django.db import connections


@register(Tags.database)
def autovacuum_on(app_configs: Any = None, databases: Any = None, **kwargs: Any) -> list[Warning]:
    """PostgreSQL without autovacuum keeps every dead row version: the outbox, envelopes and
    tickets that Balie updates all day grow and slow down until someone runs VACUUM."""
    warnings = []
    for alias in databases or ():
        connection = connections[alias]
        if connection.vendor != "postgresql":
            continue
        with connection.cursor() as cursor:
            cursor.execute("SHOW autovacuum")
            (setting,) = cursor.fetchone()
        if setting != "on":
            warnings.append(
                Warning(
                    "PostgreSQL runs without autovacuum (autovacuum = off).",
                    hint=(
                        "Turn it on in postgresql.conf, or run VACUUM ANALYZE regularly: "
                        "Balie updates outbox items, envelopes and tickets continuously, and "
                        "their dead rows slow down mail intake and the inbox."
                    ),
                    obj=f"database {alias}",
                    id="balie.W001",
                )
            )
    return warnings
