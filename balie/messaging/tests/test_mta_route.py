"""The mail servers' endpoint as the ASGI application serves it (balie/messaging/asgi.py):
outside Django's request cycle, with the same answers as the Django view."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from asgiref.sync import async_to_sync

from balie.accounts.actions import create_api_token
from balie.accounts.models import TokenScope
from balie.core.actors import SYSTEM
from balie.core.tests.asgi_client import request as asgi_request
from balie.messaging.models import Envelope, Quarantine
from balie.tickets.models import Ticket
from config.asgi import application

MAIL = Path(__file__).parent / "fixtures" / "email" / "discourse_dutch_reply_op-schreef.eml"
PATH = "/api/v1/inbound/email"

pytestmark = pytest.mark.django_db(transaction=True)  # the route answers from its own thread


@pytest.fixture
def token(cast) -> str:
    return create_api_token(cast.anna, name="postfix", scope=TokenScope.INGEST, by=SYSTEM)[1]


def call_together(bodies: list[bytes], *, token: str) -> list[tuple[int, dict]]:
    """Several mail servers' requests arriving at the same moment: (status, answer) each."""

    async def all_of_them() -> list[tuple[int, dict]]:
        answered = await asyncio.gather(*(request(body, token=token) for body in bodies))
        return [(status, json.loads(body)) for status, _headers, body in answered]

    return async_to_sync(all_of_them)()


async def request(body: bytes, *, path: str = PATH, **kwargs) -> tuple[int, dict[str, str], bytes]:
    """One request to the mail servers' endpoint through the ASGI application."""
    return await asgi_request(body, path=path, **kwargs)


def call(body: bytes, **kwargs) -> tuple[int, dict[str, str], bytes]:
    """`request` from synchronous code."""
    return async_to_sync(request)(body, **kwargs)


def test_a_delivery_is_stored_filed_and_acknowledged_with_202(token):
    status, headers, body = call(MAIL.read_bytes(), token=token, chunks=3)

    assert status == 202
    answer = json.loads(body)
    assert answer["status"] == "received"
    envelope = Envelope.objects.get(pk=answer["envelope"])
    assert envelope.status == "processed"  # tasks run eagerly in the tests
    assert Ticket.objects.count() == 1
    assert headers["content-type"].startswith("application/json")
    again = call(MAIL.read_bytes(), token=token)
    assert again[0] == 202 and json.loads(again[2])["status"] == "duplicate"


def test_a_wrong_token_is_401_in_the_clients_language_and_little_is_kept(cast):
    big = MAIL.read_bytes() + b"x" * 100_000

    status, headers, body = call(big, token="blt_fout")
    assert status == 401
    assert "ongeldig token" in json.loads(body)["detail"]
    assert headers["content-language"] == "nl"

    status, headers, body = call(big, token=None, language="en-GB,en;q=0.8")
    assert status == 401
    assert json.loads(body)["detail"].startswith("missing token")
    assert headers["content-language"] == "en"
    kept = Quarantine.objects.order_by("pk")
    assert [len(bytes(q.raw)) for q in kept] == [16 * 1024, 16 * 1024]
    assert kept[0].meta["remote_addr"] == "127.0.0.1" and kept[0].meta["truncated"] is True


def test_an_oversized_delivery_is_413_from_its_declared_length_unread(token, settings):
    settings.BALIE_INBOUND_MAX_BYTES = 10_000
    body = MAIL.read_bytes() + b"y" * 400_000

    status, _headers, answer = call(body, token=token, chunks=20)

    assert status == 413
    assert "te groot" in json.loads(answer)["detail"]
    kept = Quarantine.objects.get()
    assert bytes(kept.raw) == b"" and kept.meta["size"] == len(body)
    assert not Envelope.objects.exists()


@pytest.mark.parametrize(
    ("body", "kwargs", "status"),
    [
        (b"", {}, 400),
        (b"Subject: geen afzender\r\n\r\ntekst", {}, 400),
        (MAIL.read_bytes(), {"content_type": "application/json"}, 400),
        (MAIL.read_bytes(), {"query": "mailbox=nergens@example.nl"}, 400),
    ],
    ids=["empty", "no From", "wrong type", "unknown mailbox"],
)
def test_bad_input_gets_the_same_answer_as_from_the_django_view(
    token, client, body, kwargs, status
):
    got = call(body, token=token, **kwargs)
    via_django = client.post(
        PATH + ("?" + kwargs["query"] if "query" in kwargs else ""),
        data=body,
        content_type=kwargs.get("content_type", "message/rfc822"),
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )

    assert got[0] == via_django.status_code == status
    assert json.loads(got[2])["detail"] == via_django.json()["detail"]


def test_an_unknown_host_is_refused(token):
    status, _headers, body = call(MAIL.read_bytes(), token=token, host="evil.example")

    assert status == 400 and "evil.example" in json.loads(body)["detail"]
    assert not Envelope.objects.exists()


def test_everything_else_still_goes_to_django(cast):
    status, _headers, _body = call(b"", path="/api/v1/inbound/email", method="GET")
    assert status == 405  # Django's view: only POST
    status, _headers, body = call(b"", path="/healthz", method="GET")
    assert status in (200, 503) and b"database" in body


def test_deliveries_arriving_together_are_stored_together_and_each_is_answered(token, monkeypatch):
    from dataclasses import replace

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from balie.accounts.api_auth import ingest_tokens
    from balie.intake.pipeline import receive_many

    route = application.application_mapping["http"]
    inserts: list[tuple[int, int]] = []  # (deliveries, INSERT statements) per group

    def counting_receive_many(deliveries):
        with CaptureQueriesContext(connection) as queries:
            stored = receive_many(deliveries)
        made = [q for q in queries if q["sql"].startswith('INSERT INTO "messaging_envelope"')]
        inserts.append((len(deliveries), len(made)))
        return stored

    intake = replace(route.intake, receive_many=counting_receive_many)
    monkeypatch.setattr(route.writer, "intake", intake)
    monkeypatch.setattr(ingest_tokens, "check_every", 3600)  # judged in the event loop

    def mail(n: int) -> bytes:
        return MAIL.read_bytes().replace(b"Message-ID: <", f"Message-ID: <{n}.".encode(), 1)

    first = mail(0)
    assert call(first, token=token)[0] == 202  # alone (and the tokens are read)

    answers = call_together([mail(n) for n in range(1, 6)], token=token)

    assert [status for status, _answer in answers] == [202] * 5
    assert [answer["status"] for _status, answer in answers] == ["received"] * 5
    assert len({answer["envelope"] for _status, answer in answers}) == 5
    assert inserts == [(5, 1)]  # one INSERT for the five
    assert set(Envelope.objects.values_list("status", flat=True)) == {"processed"}

    # A mail server delivers one again among new ones: it is told so, the others are stored.
    answers = call_together([mail(6), first, mail(7)], token=token)

    assert [answer["status"] for _status, answer in answers] == [
        "received",
        "duplicate",
        "received",
    ]
    assert answers[1][1]["envelope"] == Envelope.objects.order_by("pk").first().pk
    assert inserts[1][0] == 3
    assert Envelope.objects.count() == 8
    assert set(Envelope.objects.values_list("status", flat=True)) == {"processed"}
    assert Ticket.objects.count() == 8


def test_a_delivery_does_not_wait_behind_a_slow_write_of_another(token, monkeypatch):
    import threading
    from dataclasses import replace

    from balie.intake.pipeline import receive

    route = application.application_mapping["http"]
    blocked, release = threading.Event(), threading.Event()

    def slow_for_one(**fields):
        if b"langzaam" in fields["raw"]:  # this one's disk is slow today
            blocked.set()
            release.wait(10)
        return receive(**fields)

    monkeypatch.setattr(route.writer, "intake", replace(route.intake, receive=slow_for_one))
    slow = MAIL.read_bytes().replace(b"Message-ID: <", b"Message-ID: <langzaam.", 1)
    quick = MAIL.read_bytes().replace(b"Message-ID: <", b"Message-ID: <vlot.", 1)

    async def scenario() -> tuple[int, int, bool]:
        first = asyncio.ensure_future(request(slow, token=token))
        for _ in range(500):
            if blocked.is_set():
                break
            await asyncio.sleep(0.01)
        second = await asyncio.wait_for(request(quick, token=token), 10)
        still_writing = not first.done()
        release.set()
        return (await first)[0], second[0], still_writing

    try:
        slow_status, quick_status, still_writing = async_to_sync(scenario)()
    finally:
        release.set()

    assert quick_status == 202 and still_writing  # answered while the other was being written
    assert slow_status == 202
    assert Envelope.objects.count() == 2
