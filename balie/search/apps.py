from django.apps import AppConfig
from django.db.backends.signals import connection_created
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
        from balie.search import stemming

        # Not domain flow: every SQLite connection gets the function the FTS triggers call.
        connection_created.connect(
            stemming.on_connection_created, dispatch_uid="search.register_stemmer"
        )
        # Any sender: post_migrate is sent only for apps with models, and this one has none
        # (a sender=self receiver never ran, and a rebuild of tickets_message lost its triggers).
        post_migrate.connect(_ensure_fulltext, dispatch_uid="search.ensure_fulltext")
