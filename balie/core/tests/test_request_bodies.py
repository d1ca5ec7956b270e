"""Slow and oversized request bodies on every inbound HTTP endpoint (webhooks, the API, the
contact form), on a real uvicorn server with real sockets: a body that trickles in is answered
408 after its time and runs no view, a declared size over the limit is answered 413 unread,
and a large body over a slow but honest line still goes through."""

from __future__ import annotations

import json
import socket
import time

import pytest

from balie.accounts.actions import create_api_token
from balie.accounts.models import TokenScope
from balie.core.actors import SYSTEM
from balie.messaging.models import ChannelAccount, Envelope
from balie.messaging.tests.fake_sms import LINE, FakeSms, sign, sms_account
from balie.tickets.models import Ticket
from tests.asgi_server import read_answer, serving

SECRET = "geheim-van-de-provider"
PROMPT = 5.0  # an answer's time on a busy machine, far below a client's patience
NEVER = 20.0  # how long a client waits for an answer that would never come

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def server(settings):
    from config.asgi import application

    settings.BALIE_CONNECTORS = {**settings.BALIE_CONNECTORS, **LINE}
    FakeSms.inbox.clear()
    with serving(application) as port:
        yield port


@pytest.fixture
def account(cast) -> ChannelAccount:
    return sms_account(cast.klantenservice, secret=SECRET)


def sms_body(text: str, id: str = "SM1") -> bytes:
    event = {"type": "message", "id": id, "from": "+31612345678", "name": "Carla", "text": text}
    return json.dumps({"events": [event]}).encode()


def request_head(port: int, path: str, *, length: int | None, **headers: str) -> bytes:
    lines = [f"POST {path} HTTP/1.1", f"Host: 127.0.0.1:{port}"]
    if length is not None:
        lines.append(f"Content-Length: {length}")
    lines += [f"{name.replace('_', '-')}: {value}" for name, value in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def connect(port: int) -> socket.socket:
    return socket.create_connection(("127.0.0.1", port), timeout=NEVER)


def test_a_webhook_body_that_trickles_in_is_408_and_others_are_served_meanwhile(
    server, account, settings
):
    settings.BALIE_REQUEST_READ_SECONDS = 4
    body = sms_body("Mijn meter geeft een foutcode E4.")
    path = f"/webhooks/sms/{account.pk}/"
    signed = {"Content_Type": "application/json", "X_Signature_256": sign(body, SECRET)}

    # given a client that sends a webhook's headers and the start of its body, then dawdles
    started = time.monotonic()
    with connect(server) as slow:
        slow.sendall(request_head(server, path, length=len(body), **signed) + body[:10])

        # when the provider delivers the same kind of call whole meanwhile
        with connect(server) as whole:
            other = sms_body("Nog een vraag.", id="SM2")
            whole.sendall(
                request_head(
                    server,
                    path,
                    length=len(other),
                    Content_Type="application/json",
                    X_Signature_256=sign(other, SECRET),
                )
                + other
            )
            status, _headers, answer = read_answer(whole)
        # then that one is filed without waiting for the slow one, still unanswered
        assert status == 200 and json.loads(answer) == {"received": 1, "duplicates": 0}
        slow.setblocking(False)
        with pytest.raises(BlockingIOError):
            slow.recv(1)
        slow.setblocking(True)

        # and the slow one is answered 408 after its four seconds, with the reason
        status, headers, answer = read_answer(slow)
    assert 4 <= time.monotonic() - started < 4 + PROMPT
    assert status == 408 and headers["connection"] == "close"
    assert json.loads(answer) == {
        "detail": "Het verzoek kwam niet binnen 4 seconden binnen (10 bytes ontvangen)."
    }
    # and nothing of it was kept
    assert list(Envelope.objects.values_list("external_id", flat=True)) == [f"{account.pk}:SM2"]


def test_an_api_post_declaring_more_than_the_limit_is_413_before_its_body(server, cast, settings):
    token = create_api_token(cast.anna, name="crm", scope=TokenScope.READ_WRITE, by=SYSTEM)[1]
    started = time.monotonic()
    with connect(server) as sock:
        sock.sendall(
            request_head(
                server,
                "/api/v1/tickets",
                length=10 * 1024**3,  # 10 GB declared, not one byte sent
                Content_Type="application/json",
                Authorization=f"Bearer {token}",
                Accept_Language="en",
            )
        )
        status, headers, answer = read_answer(sock)

    assert status == 413 and headers["connection"] == "close"
    assert time.monotonic() - started < PROMPT
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    assert json.loads(answer) == {
        "detail": f"The request is too large: {10 * 1024**3} bytes, at most {limit}."
    }
    assert not Ticket.objects.exists()


def test_a_webhook_without_a_length_is_cut_off_at_its_limit(server, account, settings):
    settings.BALIE_WEBHOOK_MAX_BYTES = 1000
    with connect(server) as sock:
        sock.sendall(
            request_head(
                server,
                f"/webhooks/sms/{account.pk}/",
                length=None,
                Content_Type="application/json",
                Transfer_Encoding="chunked",
            )
        )
        for _ in range(3):  # 3 x 600 bytes, no end
            sock.sendall(b"258\r\n" + b"x" * 600 + b"\r\n")
        status, _headers, answer = read_answer(sock)

    assert status == 413
    assert "maximaal 1000" in json.loads(answer)["detail"]
    assert not Envelope.objects.exists()


def test_the_contact_form_sent_too_slowly_is_408_in_the_visitors_language(server, settings):
    settings.BALIE_REQUEST_READ_SECONDS = 1
    with connect(server) as sock:
        sock.sendall(
            request_head(
                server,
                "/contact/",
                length=100_000,
                Content_Type="multipart/form-data; boundary=grens",
                Accept_Language="en-GB,en;q=0.8",
            )
            + b"--grens\r\n"
        )
        status, headers, answer = read_answer(sock)

    assert status == 408 and headers["content-type"] == "text/plain; charset=utf-8"
    assert answer.decode() == "The request did not arrive within 1 seconds (9 bytes received)."
    assert not Ticket.objects.exists()


def test_a_large_body_over_a_slow_honest_line_is_read_whole(server, account, settings):
    # given two seconds for a body, and a second more for every 500 bytes that arrive
    settings.BALIE_REQUEST_READ_SECONDS = 2
    settings.BALIE_REQUEST_MIN_BYTES_PER_SECOND = 500
    body = sms_body("Mijn meter geeft een foutcode E4. " + "Uitleg. " * 500)
    assert len(body) > 4000

    # when the provider sends it over more than three seconds, faster than 500 bytes a second
    with connect(server) as sock:
        sock.sendall(
            request_head(
                server,
                f"/webhooks/sms/{account.pk}/",
                length=len(body),
                Content_Type="application/json",
                X_Signature_256=sign(body, SECRET),
            )
        )
        for start in range(0, len(body), 600):
            sock.sendall(body[start : start + 600])
            time.sleep(0.4)
        status, _headers, answer = read_answer(sock)

    # then it is read whole and filed
    assert status == 200 and json.loads(answer) == {"received": 1, "duplicates": 0}
    assert Ticket.objects.get().messages.get().body_text.startswith("Mijn meter geeft")
