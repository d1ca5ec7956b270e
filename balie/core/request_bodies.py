"""How long and how much of a request body the web process reads, for every HTTP request.

uvicorn hands a request to the application once its headers are in, and Django's ASGI handler
then reads the whole body (into memory, then a temporary file) before any view runs: without a
bound, a client that declares gigabytes is read to the end, and one that sends a byte now and
then keeps its connection and its half-read body for as long as it likes. `BodyGuard` wraps
the application (config/asgi.py) and gives every request:

* a size: a declared Content-Length over the limit of its kind is answered 413 at once,
  unread; a body without a declared length that passes the limit is cut off with 413 too.
  Webhooks (`/webhooks/…`) take `BALIE_WEBHOOK_MAX_BYTES`, forms with files
  `BALIE_MAX_UPLOAD_BYTES`, everything else Django's `DATA_UPLOAD_MAX_MEMORY_SIZE`;
* a deadline: the body must arrive within `BALIE_REQUEST_READ_SECONDS`, plus a second for
  every `BALIE_REQUEST_MIN_BYTES_PER_SECOND` bytes that did arrive (a large upload over a slow
  line goes through; a trickle does not): else 408, and the view never runs.

The application sees a late or oversized body as a client that went away (Django then runs no
view), and the guard answers in its place, in the client's language. The mail servers'
endpoint has its own reading with its own limits (balie/messaging/connectors/email/asgi.py).
A client that never finishes its headers is the web server's to close, before Balie sees a
request: in production the proxy in front (nginx `client_header_timeout`); see
docs/architecture.md.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _

Scope = dict[str, Any]

DISCONNECT = {"type": "http.disconnect"}


def language_of(accept_language: str) -> str:
    """The language Django's LocaleMiddleware would choose from the header: Dutch unless the
    client prefers a language Balie speaks."""
    from django.utils.translation.trans_real import (
        get_supported_language_variant,
        parse_accept_lang_header,
    )

    for code, _quality in parse_accept_lang_header(accept_language):
        if code == "*":
            break
        try:
            return get_supported_language_variant(code)
        except LookupError:
            continue
    return settings.LANGUAGE_CODE


def body_limit(path: str, content_type: str) -> int:
    """The most bytes a request of this kind may send."""
    if path.startswith("/webhooks/"):
        return int(settings.BALIE_WEBHOOK_MAX_BYTES)
    if content_type.startswith("multipart/"):
        return int(settings.BALIE_MAX_UPLOAD_BYTES)
    return int(settings.DATA_UPLOAD_MAX_MEMORY_SIZE)


class BodyGuard:
    """ASGI middleware: every HTTP request's body within its size and its time (module
    docstring); everything else passes unchanged."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers: dict[str, str] = {}
        for name, value in scope.get("headers", []):
            headers.setdefault(name.decode("latin-1").lower(), value.decode("latin-1"))
        path = scope.get("path", "")
        limit = body_limit(path, headers.get("content-type", "").lower())
        try:
            declared = int(headers["content-length"]) if "content-length" in headers else None
        except ValueError:
            declared = None  # Django answers a Content-Length it cannot read
        if declared is not None and declared > limit:
            await _refuse(send, scope, headers, 413, lambda: _too_big(declared, limit))
            return

        reading = _Reading(receive, limit=limit)
        answered = False

        async def watched_send(message: dict[str, Any]) -> None:
            nonlocal answered
            if message["type"] == "http.response.start":
                answered = True
            await send(message)

        await self.app(scope, reading.receive, watched_send)
        if reading.refusal is not None and not answered:
            status, reason = reading.refusal
            await _refuse(send, scope, headers, status, reason)


class _Reading:
    """The application's `receive`, with the deadline and the size of the body."""

    def __init__(self, receive: Any, *, limit: int) -> None:
        self._receive = receive
        self.limit = limit
        self.received = 0
        self.ended = False
        self.refusal: tuple[int, Callable[[], str]] | None = None
        self.started = asyncio.get_running_loop().time()

    def _seconds_left(self) -> float:
        allowed = float(settings.BALIE_REQUEST_READ_SECONDS) + self.received / max(
            1, int(settings.BALIE_REQUEST_MIN_BYTES_PER_SECOND)
        )
        return self.started + allowed - asyncio.get_running_loop().time()

    async def receive(self) -> dict[str, Any]:
        if self.ended:  # after the body: Django listens for the client going away
            return await self._receive()
        if self.refusal is not None:
            return DISCONNECT
        try:
            async with asyncio.timeout(max(0.0, self._seconds_left())):
                message = await self._receive()
        except TimeoutError:
            seconds, received = float(settings.BALIE_REQUEST_READ_SECONDS), self.received
            self.refusal = (408, lambda: _late(seconds, received))
            return DISCONNECT
        if message["type"] != "http.request":
            return message
        self.received += len(message.get("body", b""))
        if self.received > self.limit:
            size, limit = self.received, self.limit
            self.refusal = (413, lambda: _too_big(size, limit))
            return DISCONNECT
        if not message.get("more_body", False):
            self.ended = True
        return message


def _too_big(size: int, limit: int) -> str:
    return _("Het verzoek is te groot: %(size)s bytes, maximaal %(limit)s.") % {
        "size": size,
        "limit": limit,
    }


def _late(seconds: float, received: int) -> str:
    return _(
        "Het verzoek kwam niet binnen %(seconds)s seconden binnen (%(received)s bytes ontvangen)."
    ) % {"seconds": f"{seconds:g}", "received": received}


async def _refuse(
    send: Any, scope: Scope, headers: dict[str, str], status: int, why: Callable[[], str]
) -> None:
    language = language_of(headers.get("accept-language", ""))
    with translation.override(language):
        reason = why()
    path = scope.get("path", "")
    if path.startswith(("/api/", "/webhooks/")):
        data, kind = (
            json.dumps({"detail": reason}, ensure_ascii=False).encode(),
            b"application/json",
        )
    else:
        data, kind = reason.encode(), b"text/plain"
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", kind + b"; charset=utf-8"),
                (b"content-length", str(len(data)).encode()),
                (b"content-language", language.encode()),
                (b"vary", b"Accept-Language"),
                (b"x-content-type-options", b"nosniff"),
                # the body was not read to its end: the connection is not reused
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": data})
