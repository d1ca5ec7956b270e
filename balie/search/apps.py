from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _ensure_fulltext(using: str = "default", **kwargs) -> None:
    """After every migrate: put back SQLite's FTS triggers if a table rebuild dropped them."""
    from django.db import connections

    from balie.search import schema

    connection = connections[using]
    if connection.vendor != "sqlite":
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'tickets_message'"
        )
        if cursor.fetchone():
            schema.ensure_sqlite_fts(cursor)


class SearchConfig(AppConfig):
    name = "balie.search"
    label = "search"

    def ready(self) -> None:
        post_migrate.connect(_ensure_fulltext, sender=self, dispatch_uid="search.ensure_fulltext")
