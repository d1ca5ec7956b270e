"""The mail servers' endpoint on a route of its own in the ASGI application.

`POST /api/v1/inbound/email` is what a mail server calls for every message, and the rest of the
API is for people. Through Django's request cycle (middleware for sessions, CSRF, messages,
locale, then ninja) a delivery cost about three times the endpoint's own work, and every
synchronous view of a process runs in one thread, one at a time. Here the ASGI application
answers that one path itself: it checks the host, the declared length and the token from the
headers (`admit`, the first half of what the Django view calls), then reads the body in the
event loop, so that a slow client holds no thread: within BALIE_INBOUND_READ_SECONDS, at most
16 KB without a valid token, with a bound on how many bodies are read at once (per process,
for token holders and for strangers apart). Then `file_delivery` (the second half) stores it in
a thread. Everything else goes to Django unchanged.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import parse_qs

from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import connection
from django.http.request import split_domain_port, validate_host
from django.utils import translation
from django.utils.translation import gettext as _

from balie.core.client_address import client_address
from balie.core.database_busy import RETRY_AFTER_SECONDS, DatabaseBusy, busy_message
from balie.core.request_bodies import language_of

from .mta import Admission, Intake, MtaDelivery, admit, file_delivery

PATH = "/api/v1/inbound/email"

Scope = dict[str, Any]
Receive = Any
Send = Any


class MailServerRoute:
    """ASGI middleware: the MTA endpoint, and everything else to `app`. `intake`: how a
    delivery is stored and refused input kept (the intake layer's, given by config/asgi.py)."""

    def __init__(self, app: Any, *, intake: Intake) -> None:
        self.app = app
        self.intake = intake
        # Bodies being read right now in this process, of clients with a valid token and of
        # clients without one: each bounded on its own, so that strangers never take the
        # places of the mail servers.
        self.reading = {"readers": 0, "strangers": 0}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] == PATH and scope["method"] == "POST":
            await self.deliver(scope, receive, send)
            return
        await self.app(scope, receive, send)

    async def deliver(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers: dict[str, str] = {}
        for name, value in scope.get("headers", []):
            headers.setdefault(name.decode("latin-1").lower(), value.decode("latin-1"))
        language = language_of(headers.get("accept-language", ""))
        judged = await sync_to_async(_admit, thread_sensitive=False)(scope, headers, language)
        if isinstance(judged, Answer):
            await _answer(send, judged, language)
            return
        delivery, admission = judged
        kind = "readers" if admission.token is not None else "strangers"
        bound = int(
            settings.BALIE_INBOUND_MAX_READERS
            if admission.token is not None
            else settings.BALIE_INBOUND_MAX_STRANGERS
        )
        if self.reading[kind] >= bound:
            if admission.token is not None:  # the mail server tries again in a moment
                await _answer(
                    send, _busy(language, _("te veel gelijktijdige afleveringen")), language
                )
                return
            raw, outcome = b"", "whole"  # a stranger over the bound: refused unread
        else:
            self.reading[kind] += 1
            try:
                raw, outcome = await _read_body(
                    receive, admission.read, float(settings.BALIE_INBOUND_READ_SECONDS)
                )
            finally:
                self.reading[kind] -= 1
        if outcome == "gone" and admission.token is not None:
            return  # the mail server hung up: nothing was accepted, it delivers again
        answer = await sync_to_async(_file, thread_sensitive=False)(
            delivery, admission, raw, outcome == "late", language, self.intake
        )
        await _answer(send, answer, language)


@dataclass(frozen=True)
class Answer:
    status: int
    payload: dict[str, Any]
    headers: tuple[tuple[bytes, bytes], ...] = ()


async def _answer(send: Send, answer: Answer, language: str) -> None:
    data = json.dumps(answer.payload, ensure_ascii=False).encode()
    headers = [
        (b"content-type", b"application/json; charset=utf-8"),
        (b"content-length", str(len(data)).encode()),
        (b"content-language", language.encode()),
        (b"x-content-type-options", b"nosniff"),
        (b"vary", b"Accept-Language"),
        *answer.headers,
    ]
    if answer.status != 202:
        # The body may not have been read to its end: the connection is not reused.
        headers.append((b"connection", b"close"))
    await send({"type": "http.response.start", "status": answer.status, "headers": headers})
    await send({"type": "http.response.body", "body": data})


def _busy(language: str, why: str = "") -> Answer:
    with translation.override(language):
        detail = busy_message() + (f" ({why})" if why else "")
    return Answer(503, {"detail": detail}, ((b"retry-after", str(RETRY_AFTER_SECONDS).encode()),))


async def _read_body(receive: Receive, size: int, seconds: float) -> tuple[bytes, str]:
    """At most `size` bytes of the body, read in the event loop (no thread waits for a slow
    client) within `seconds` in all: (bytes, "whole" | "late" | "gone")."""
    data = bytearray()
    if size <= 0:
        return b"", "whole"
    try:
        async with asyncio.timeout(seconds):
            while len(data) < size:
                message = await receive()
                if message["type"] == "http.disconnect":
                    return bytes(data[:size]), "gone"
                data += message.get("body", b"")
                if not message.get("more_body", False):
                    break
    except TimeoutError:
        return bytes(data[:size]), "late"
    return bytes(data[:size]), "whole"


def _admit(
    scope: Scope, headers: dict[str, str], language: str
) -> Answer | tuple[MtaDelivery, Admission]:
    """In a worker thread, from the headers alone: the checks Django's request cycle makes
    for this endpoint (host), then `admit` (declared length, token)."""
    try:
        with translation.override(language):
            host = headers.get("host", "")
            domain, _port = split_domain_port(host)
            if not domain or not validate_host(domain, settings.ALLOWED_HOSTS):
                return Answer(400, {"detail": _("Onbekende host: %(host)s") % {"host": host[:100]}})
            try:
                declared = max(0, int(headers.get("content-length") or 0))
            except ValueError:
                return Answer(400, {"detail": _("Ongeldige Content-Length.")})
            query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
            client = scope.get("client") or ("", 0)
            delivery = MtaDelivery(
                authorization=headers.get("authorization", ""),
                content_type=headers.get("content-type", "").split(";")[0].strip().lower(),
                declared_size=declared,
                mailbox=(query.get("mailbox") or [""])[0],
                remote_addr=client_address(client[0] or "", headers.get("x-forwarded-for", "")),
            )
            return delivery, admit(delivery)
    finally:
        connection.close()  # back to the pool


def _file(
    delivery: MtaDelivery,
    admission: Admission,
    raw: bytes,
    late: bool,
    language: str,
    intake: Intake,
) -> Answer:
    """In a worker thread: store (or refuse and quarantine) what was read."""
    try:
        with translation.override(language):
            if late and admission.refusal is None:
                seconds = settings.BALIE_INBOUND_READ_SECONDS
                admission = replace(
                    admission,
                    refusal=(
                        408,
                        _("bericht niet binnen %(s)s seconden ontvangen (%(n)s bytes gelezen)")
                        % {"s": f"{seconds:g}", "n": len(raw)},
                    ),
                )
            try:
                status, payload = file_delivery(delivery, admission, raw, intake=intake)
            except DatabaseBusy:
                return _busy(language)
            return Answer(status, payload)
    finally:
        connection.close()  # back to the pool
