"""A delivery while another connection holds SQLite's write lock (as while a large mail is
filed): a brief retry, then 503 with Retry-After so that the mail server comes back, never a
500, and nothing half stored."""

from __future__ import annotations

import json
import sqlite3
import time
from pathlib import Path

import pytest
from django.db import connection

from balie.accounts.actions import create_api_token
from balie.accounts.models import TokenScope
from balie.core.actors import SYSTEM
from balie.messaging.models import Envelope
from balie.messaging.tests.test_mta_route import call
from balie.tickets.tests.factories import TicketFactory

MAIL = Path(__file__).parent / "fixtures" / "email" / "discourse_dutch_reply_op-schreef.eml"
PATH = "/api/v1/inbound/email"

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's write lock"),
]


@pytest.fixture
def token(cast) -> str:
    return create_api_token(cast.anna, name="postfix", scope=TokenScope.INGEST, by=SYSTEM)[1]


@pytest.fixture
def write_lock():
    """Another connection to the same database, in the middle of a write on the tables a
    delivery and a reply write to; `release()` ends it."""
    name = connection.settings_dict["NAME"]
    other = sqlite3.connect(
        name, uri=name.startswith("file:"), isolation_level=None, check_same_thread=False
    )
    other.create_function("balie_stem", -1, lambda *args: "")  # the search triggers' function
    other.execute("BEGIN IMMEDIATE")
    other.execute("DELETE FROM messaging_envelope WHERE id = -1")
    other.execute("DELETE FROM tickets_message WHERE id = -1")
    other.execute("DELETE FROM messaging_quarantine WHERE id = -1")

    class Lock:
        @staticmethod
        def release() -> None:
            if other.in_transaction:
                other.execute("ROLLBACK")

    yield Lock
    Lock.release()
    other.close()


def test_a_delivery_into_a_locked_database_is_503_with_retry_after(
    token, client, settings, write_lock
):
    settings.BALIE_DB_BUSY_SECONDS = 0.5

    # when the mail server delivers through the Django view and through the ASGI route
    started = time.monotonic()
    response = client.post(
        PATH, data=MAIL.read_bytes(), content_type="message/rfc822",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )  # fmt: skip
    status, headers, body = call(MAIL.read_bytes(), token=token)

    # then both ask it to come back, after a brief wait, and nothing was stored
    assert response.status_code == 503 and response["Retry-After"] == "5"
    assert "bezet" in response.json()["detail"]
    assert status == 503 and headers["retry-after"] == "5"
    assert "bezet" in json.loads(body)["detail"]
    assert time.monotonic() - started < 5
    write_lock.release()
    assert not Envelope.objects.exists()

    # and once the lock is gone the same delivery goes through
    status, _headers, body = call(MAIL.read_bytes(), token=token)
    assert status == 202 and json.loads(body)["status"] == "received"


def test_a_lock_that_ends_within_the_retry_costs_the_delivery_nothing(token, settings, write_lock):
    settings.BALIE_DB_BUSY_SECONDS = 3
    import threading

    threading.Timer(0.4, write_lock.release).start()

    status, _headers, body = call(MAIL.read_bytes(), token=token)

    assert status == 202 and Envelope.objects.filter(pk=json.loads(body)["envelope"]).exists()


@pytest.fixture
def ticket(cast, client):
    client.force_login(cast.anna.user)
    return TicketFactory(customer=cast.carla, team=cast.klantenservice)


def test_an_agents_note_into_a_locked_database_is_503_not_500(
    cast, client, settings, ticket, write_lock
):
    settings.BALIE_DB_BUSY_SECONDS = 0.2
    client.raise_request_exception = False

    response = client.post(
        f"/tickets/{ticket.pk}/antwoord/", {"mode": "notitie", "text": "Klant belt terug."}
    )

    assert response.status_code == 503 and response["Retry-After"] == "5"
    assert "Probeer het over 5 seconden opnieuw" in response.content.decode()
