"""The mail servers' endpoint on a route of its own in the ASGI application.

`POST /api/v1/inbound/email` is what a mail server calls for every message, and the rest of the
API is for people. Through Django's request cycle (middleware for sessions, CSRF, messages,
locale, then ninja) a delivery cost about three times the endpoint's own work, and every
synchronous view of a process runs in one thread, one at a time. Here the ASGI application
answers that one path itself: it checks the host, the declared length and the token from the
headers (`admit`, the first half of what the Django view calls), then reads the body in the
event loop, so that a slow client holds no thread: within BALIE_INBOUND_READ_SECONDS, at most
16 KB without a valid token, with a bound on how many bodies are read at once (per process,
for token holders and for strangers apart). Then `file_deliveries` (the second half) stores it
in a thread, together with the deliveries of the requests that arrived meanwhile (`Writer`:
one thread hand-over, one INSERT and one commit for all of them, so that concurrent
deliveries share one write to disk). While the process's ingest tokens are fresh, the
headers are judged in the event loop itself. Everything else goes to Django unchanged.
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

from balie.accounts.api_auth import ingest_tokens
from balie.accounts.models import ApiToken
from balie.core.client_address import client_address
from balie.core.database_busy import RETRY_AFTER_SECONDS, DatabaseBusy, busy_message
from balie.core.request_bodies import language_of

from .mta import Admission, Intake, MtaDelivery, admit, file_deliveries

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
        self.writer = Writer(intake)

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
        tokens = ingest_tokens.peek()
        if tokens is not None:  # nothing to ask Redis or the database: no thread needed
            judged = _judge_headers(scope, headers, language, tokens)
        else:
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
        if outcome == "late" and admission.refusal is None:
            with translation.override(language):
                admission = replace(
                    admission,
                    refusal=(
                        408,
                        _("bericht niet binnen %(s)s seconden ontvangen (%(n)s bytes gelezen)")
                        % {"s": f"{settings.BALIE_INBOUND_READ_SECONDS:g}", "n": len(raw)},
                    ),
                )
        answer = await self.writer.file(delivery, admission, raw, language)
        await _answer(send, answer, language)


class Writer:
    """Stores deliveries in worker threads, a group at a time in each: the deliveries that
    arrive while the groups in hand are being written make the next group. Alone, a delivery
    is written at once, as before; under load the concurrent ones share one thread hand-over,
    one INSERT and one commit (one write to the log on disk) instead of one each. Up to
    `WRITERS` groups are written at the same time, so that a delivery waits for at most a
    slow commit of others' before its own starts."""

    WRITERS = 2

    def __init__(self, intake: Intake) -> None:
        self.intake = intake
        self.waiting: list[tuple[Pending, asyncio.Future[Answer]]] = []
        self.tasks: set[asyncio.Task[None]] = set()
        self.loop: asyncio.AbstractEventLoop | None = None

    async def file(
        self, delivery: MtaDelivery, admission: Admission, raw: bytes, language: str
    ) -> Answer:
        loop = asyncio.get_running_loop()
        if loop is not self.loop:  # a new event loop (a test's): nothing of the old one is left
            self.loop, self.waiting, self.tasks = loop, [], set()
        future: asyncio.Future[Answer] = loop.create_future()
        self.waiting.append((Pending(delivery, admission, raw, language), future))
        # A task whose loop found nothing more to write is done at once (no await between its
        # last look and its end), so a delivery never waits for a writer that has stopped.
        self.tasks = {task for task in self.tasks if not task.done()}
        if len(self.tasks) < self.WRITERS:
            self.tasks.add(loop.create_task(self._write()))
        return await future

    async def _write(self) -> None:
        while self.waiting:
            group, self.waiting = self.waiting, []
            try:
                answers = await sync_to_async(_file_group, thread_sensitive=False)(
                    [pending for pending, _future in group], self.intake
                )
            except BaseException as exc:
                for _pending, future in group:
                    if not future.done():
                        future.set_exception(exc)
                if not isinstance(exc, Exception):
                    raise
                continue
            for (_pending, future), answer in zip(group, answers, strict=True):
                if not future.done():
                    future.set_result(answer)


@dataclass(frozen=True)
class Pending:
    delivery: MtaDelivery
    admission: Admission
    raw: bytes
    language: str


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
    """`_judge_headers` in a worker thread, for when the ingest tokens must be (re)read."""
    try:
        return _judge_headers(scope, headers, language, None)
    finally:
        connection.close()  # back to the pool


def _judge_headers(
    scope: Scope, headers: dict[str, str], language: str, tokens: dict[str, ApiToken] | None
) -> Answer | tuple[MtaDelivery, Admission]:
    """From the headers alone: the checks Django's request cycle makes for this endpoint
    (host), then `admit` (declared length, token)."""
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
        return delivery, admit(delivery, tokens=tokens)


def _file_group(group: list[Pending], intake: Intake) -> list[Answer]:
    """In a worker thread: store (or refuse and quarantine) what was read, the deliveries of
    one language together (the reasons of refusals are in the client's language)."""
    answers: dict[int, Answer] = {}
    try:
        for language in dict.fromkeys(pending.language for pending in group):
            positions = [i for i, pending in enumerate(group) if pending.language == language]
            with translation.override(language):
                try:
                    filed = file_deliveries(
                        [(group[i].delivery, group[i].admission, group[i].raw) for i in positions],
                        intake=intake,
                    )
                except DatabaseBusy:
                    filed = [(503, {})] * len(positions)
            for i, (status, payload) in zip(positions, filed, strict=True):
                answers[i] = _busy(language) if status == 503 else Answer(status, payload)
    finally:
        connection.close()  # back to the pool
    return [answers[i] for i in range(len(group))]
