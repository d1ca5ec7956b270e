"""A database that is busy for a moment is a reason to come back, not a server error.

SQLite lets one writer at a time: while a large mail is being filed, another write waits for the
lock (the connection's busy timeout) and then fails with "database is locked". A delivery that
waits for that lock retries briefly (`BALIE_DB_BUSY_SECONDS`) and is then answered 503 with a
Retry-After, so the mail server delivers it again a little later; every other request that runs
into the lock gets the same answer from `database_busy_answer` instead of a 500. PostgreSQL
never says this; there the code below does nothing.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from django.conf import settings
from django.db import OperationalError, connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _

T = TypeVar("T")

RETRY_AFTER_SECONDS = 5  # what a client is asked to wait before it tries again


class DatabaseBusy(Exception):
    """The database stayed locked for the whole brief wait: answer 503, try again later."""


def is_locked(exc: BaseException) -> bool:
    """SQLite's "database is locked" (another connection writes) and "database table is
    locked" (the same, in a shared in-memory database)."""
    return isinstance(exc, OperationalError) and "is locked" in str(exc)


def busy_message() -> str:
    return _("De database is even bezet. Probeer het over %(seconds)s seconden opnieuw.") % {
        "seconds": RETRY_AFTER_SECONDS
    }


def retry_while_locked(write: Callable[[], T], *, seconds: float | None = None) -> T:
    """Run `write`; while the database is locked, wait a little and run it again, for at most
    `seconds` (BALIE_DB_BUSY_SECONDS) in all. Raises DatabaseBusy when it stays locked. The
    connection's own busy wait is shortened to the same bound, so that one try cannot wait
    longer than the whole."""
    budget = float(settings.BALIE_DB_BUSY_SECONDS if seconds is None else seconds)
    deadline = time.monotonic() + budget
    pause = 0.02
    with _busy_timeout(budget):
        while True:
            try:
                return write()
            except OperationalError as exc:
                if not is_locked(exc):
                    raise
                if time.monotonic() + pause > deadline:
                    raise DatabaseBusy(str(exc)) from exc
            time.sleep(pause)
            pause = min(pause * 2, 0.25)


@contextmanager
def _busy_timeout(seconds: float) -> Iterator[None]:
    if connection.vendor != "sqlite":
        yield
        return
    connection.ensure_connection()
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA busy_timeout")
        before = cursor.fetchone()[0]
        cursor.execute(f"PRAGMA busy_timeout = {int(seconds * 1000)}")
    try:
        yield
    finally:
        if connection.connection is not None:
            with connection.cursor() as cursor:
                cursor.execute(f"PRAGMA busy_timeout = {int(before)}")


def busy_response(request: HttpRequest | None = None) -> HttpResponse:
    """503 with Retry-After: JSON for the API, a short page otherwise."""
    message = busy_message()
    if request is None or request.path.startswith("/api/"):
        response: HttpResponse = JsonResponse({"detail": message}, status=503)
    else:
        response = HttpResponse(message, status=503, content_type="text/plain; charset=utf-8")
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


class DatabaseBusyMiddleware:
    """Any request that runs into a locked database gets 503 and Retry-After, never 500."""

    def __init__(self, get_response: Callable[[HttpRequest], Any]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> Any:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exc: Exception) -> HttpResponse | None:
        if isinstance(exc, DatabaseBusy) or is_locked(exc):
            return busy_response(request)
        return None
