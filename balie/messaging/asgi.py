"""The mail servers' endpoint on a route of its own in the ASGI application.

`POST /api/v1/inbound/email` is what a mail server calls for every message, and the rest of the
API is for people. Through Django's request cycle (middleware for sessions, CSRF, messages,
locale, then ninja) a delivery cost about three times the endpoint's own work, and every
synchronous view of a process runs in one thread, one at a time. Here the ASGI application
answers that one path itself: it checks the host, reads the headers and the query, and runs
`deliver_mail` (the same function the Django view calls, so both behave alike) in a thread of
its own, reading the body only once the token is known to be good. Everything else goes to
Django unchanged.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs

from asgiref.sync import async_to_sync, sync_to_async
from django.conf import settings
from django.db import connection
from django.http.request import split_domain_port, validate_host
from django.utils import translation
from django.utils.translation import gettext as _

from balie.core.client_address import client_address

from .api import MtaDelivery, deliver_mail

PATH = "/api/v1/inbound/email"

Scope = dict[str, Any]
Receive = Any
Send = Any


class MailServerRoute:
    """ASGI middleware: the MTA endpoint, and everything else to `app`."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] == PATH and scope["method"] == "POST":
            await self.deliver(scope, receive, send)
            return
        await self.app(scope, receive, send)

    async def deliver(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers: dict[str, str] = {}
        for name, value in scope.get("headers", []):
            headers.setdefault(name.decode("latin-1").lower(), value.decode("latin-1"))
        body = _Body(receive)
        status, payload, language = await sync_to_async(_deliver, thread_sensitive=False)(
            scope, headers, async_to_sync(body.prefix), async_to_sync(body.read_all)
        )
        data = json.dumps(payload, ensure_ascii=False).encode()
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [
                    (b"content-type", b"application/json; charset=utf-8"),
                    (b"content-length", str(len(data)).encode()),
                    (b"content-language", language.encode()),
                    (b"x-content-type-options", b"nosniff"),
                    (b"vary", b"Accept-Language"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": data})


class _Body:
    """The request body from the ASGI `receive` channel, read as far as asked."""

    def __init__(self, receive: Receive) -> None:
        self.receive = receive
        self.data = bytearray()
        self.done = False

    async def _fill(self, size: int) -> None:
        while not self.done and len(self.data) < size:
            message = await self.receive()
            if message["type"] == "http.disconnect":
                self.done = True
                break
            self.data += message.get("body", b"")
            self.done = not message.get("more_body", False)

    async def prefix(self, size: int) -> bytes:
        await self._fill(size)
        return bytes(self.data[:size])

    async def read_all(self, limit: int) -> bytes:
        await self._fill(limit + 1)
        return bytes(self.data[: limit + 1])


def _deliver(
    scope: Scope, headers: dict[str, str], read_prefix: Any, read_all: Any
) -> tuple[int, dict[str, Any], str]:
    """In a worker thread: the same checks Django's request cycle makes for this endpoint
    (host, language), then `deliver_mail`; the database connection goes back to the pool."""
    language = _language(headers.get("accept-language", ""))
    try:
        with translation.override(language):
            host = headers.get("host", "")
            domain, _port = split_domain_port(host)
            if not domain or not validate_host(domain, settings.ALLOWED_HOSTS):
                return (
                    400,
                    {"detail": _("Onbekende host: %(host)s") % {"host": host[:100]}},
                    language,
                )
            try:
                declared = max(0, int(headers.get("content-length") or 0))
            except ValueError:
                return 400, {"detail": _("Ongeldige Content-Length.")}, language
            query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
            client = scope.get("client") or ("", 0)
            delivery = MtaDelivery(
                authorization=headers.get("authorization", ""),
                content_type=headers.get("content-type", "").split(";")[0].strip().lower(),
                declared_size=declared,
                mailbox=(query.get("mailbox") or [""])[0],
                remote_addr=client_address(client[0] or "", headers.get("x-forwarded-for", "")),
            )
            status, payload = deliver_mail(delivery, read_prefix=read_prefix, read_all=read_all)
            return status, payload, language
    finally:
        connection.close()  # back to the pool


def _language(accept_language: str) -> str:
    """The language Django's LocaleMiddleware would choose from the header: Dutch unless the
    client prefers English."""
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
