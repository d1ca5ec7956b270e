"""Slow clients against the mail servers' endpoint, on a real uvicorn server on 127.0.0.1 with
real sockets: clients that send a body slowly must not stop other deliveries, and what a client
without a token can make the server read and keep is bounded."""

from __future__ import annotations

import contextlib
import json
import socket
import time
from pathlib import Path

import pytest

from balie.accounts.actions import create_api_token
from balie.accounts.models import TokenScope
from balie.core.actors import SYSTEM
from balie.messaging.models import Envelope, Quarantine
from tests.asgi_server import read_answer, serving

MAIL = Path(__file__).parent / "fixtures" / "email" / "discourse_dutch_reply_op-schreef.eml"
PATH = "/api/v1/inbound/email"
# How long an answer may take on a machine under heavy load: far below what a client waits for
# an answer that never comes (the clients' socket timeout), far above an answer's usual time.
PROMPT = 5.0
NEVER = 20.0

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def server():
    """uvicorn serving config.asgi.application, as `balie serve` runs it; yields its port."""
    from config.asgi import application

    with serving(application) as port:
        yield port


def reading_now(**expected: int) -> None:
    """Wait until the mail servers' route is reading as many bodies as expected (it admits a
    connection in a thread, so a busy machine takes a while to have them all in hand)."""
    from config.asgi import application

    route = application.application_mapping["http"]
    deadline = time.monotonic() + NEVER
    while route.reading != expected:
        assert time.monotonic() < deadline, f"reading {route.reading}, not {expected}"
        time.sleep(0.02)


@pytest.fixture
def token(cast) -> str:
    return create_api_token(cast.anna, name="postfix", scope=TokenScope.INGEST, by=SYSTEM)[1]


def head(port: int, *, length: int, token: str = "") -> bytes:
    lines = [
        f"POST {PATH} HTTP/1.1",
        f"Host: 127.0.0.1:{port}",
        "Content-Type: message/rfc822",
        f"Content-Length: {length}",
    ]
    if token:
        lines.append(f"Authorization: Bearer {token}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def open_slow(port: int, *, token: str = "", length: int = 1_000_000) -> socket.socket:
    """A client that sends the headers and the first bytes of a long body, then dawdles."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=NEVER)
    sock.sendall(head(port, length=length, token=token) + b"From: traag@example.nl\r\n")
    return sock


def answer_of(sock: socket.socket) -> tuple[int, dict[str, str], dict]:
    status, headers, body = read_answer(sock)
    return status, headers, json.loads(body)


def deliver(port: int, raw: bytes, token: str) -> tuple[int, dict[str, str], dict, float]:
    started = time.monotonic()
    with socket.create_connection(("127.0.0.1", port), timeout=NEVER) as sock:
        sock.sendall(head(port, length=len(raw), token=token) + raw)
        status, headers, body = answer_of(sock)
    return status, headers, body, time.monotonic() - started


def test_fifty_slow_clients_do_not_stop_a_valid_delivery(server, token):
    # given a server that has filed a mail before (the first one loads what filing needs)
    assert (
        deliver(server, MAIL.read_bytes().replace(b"Message-ID: <", b"Message-ID: <1"), token)[0]
        == 202
    )
    # and fifty connections that send a body byte by byte: forty without a token, ten of a
    # mail server with a token (more than the web process has threads)
    slow = [open_slow(server) for _ in range(40)]
    slow += [open_slow(server, token=token) for _ in range(10)]
    try:
        for sock in slow:
            sock.sendall(b"S")
        reading_now(readers=10, strangers=40)  # the server has them all in hand

        # when a mail server delivers a mail meanwhile
        status, _headers, body, took = deliver(server, MAIL.read_bytes(), token)

        # then it is stored and answered in its usual time
        assert status == 202 and body["status"] == "received"
        assert took < PROMPT, f"a delivery took {took:.1f} s beside slow clients"
        assert Envelope.objects.filter(pk=body["envelope"]).exists()
        # and the slow ones are still waiting to be read, not refused
        for sock in slow:
            sock.sendall(b"S")
    finally:
        for sock in slow:
            sock.close()


def test_a_body_that_does_not_arrive_in_time_is_408_and_kept_in_quarantine(server, token, settings):
    settings.BALIE_INBOUND_READ_SECONDS = 1

    started = time.monotonic()
    with open_slow(server, token=token, length=5_000) as sock:
        sock.sendall(b"Subject: traag\r\n")
        status, _headers, body = answer_of(sock)

    assert status == 408 and "niet binnen 1 seconden" in body["detail"]
    assert 1 <= time.monotonic() - started < 1 + PROMPT
    assert not Envelope.objects.exists()
    assert b"traag@example.nl" in bytes(Quarantine.objects.get().raw)


def test_a_declared_length_over_the_limit_is_413_before_the_body_is_sent(server, token):
    started = time.monotonic()
    with socket.create_connection(("127.0.0.1", server), timeout=NEVER) as sock:
        sock.sendall(head(server, length=10 * 1024**3, token=token))  # 10 GB, not one byte
        status, headers, body = answer_of(sock)

    assert status == 413 and "te groot" in body["detail"]
    assert headers["connection"] == "close"
    assert time.monotonic() - started < PROMPT
    assert Quarantine.objects.get().meta["size"] == 10 * 1024**3


def test_a_stranger_gets_16_kb_read_and_kept_whatever_it_declares(server):
    with socket.create_connection(("127.0.0.1", server), timeout=NEVER) as sock:
        sock.sendall(head(server, length=30_000_000))
        # a whole megabyte goes out; the server reads 16 KB of it and answers
        with contextlib.suppress(OSError):
            sock.sendall(b"x" * 1_000_000)
        status, _headers, body = answer_of(sock)

    assert status == 401 and "ontbrekend token" in body["detail"]
    kept = Quarantine.objects.get()
    assert len(bytes(kept.raw)) == 16 * 1024 and kept.meta["size"] == 30_000_000


def test_slow_readers_are_bounded_per_kind(server, token, settings):
    settings.BALIE_INBOUND_MAX_READERS = 2
    settings.BALIE_INBOUND_MAX_STRANGERS = 2
    slow = [open_slow(server, token=token) for _ in range(2)] + [
        open_slow(server) for _ in range(2)
    ]
    try:
        reading_now(readers=2, strangers=2)
        # a third mail server connection is asked to come back, a third stranger refused unread
        status, headers, body, took = deliver(server, MAIL.read_bytes(), token)
        assert status == 503 and headers["retry-after"] == "5" and took < PROMPT
        assert not Envelope.objects.exists()
        status, _headers, body, took = deliver(server, MAIL.read_bytes(), "")
        assert status == 401 and took < PROMPT
        assert bytes(Quarantine.objects.get().raw) == b""
    finally:
        for sock in slow:
            sock.close()
    # once the slow ones are gone, the mail server's delivery goes through
    deadline = time.monotonic() + NEVER
    while True:
        status, _headers, body, _took = deliver(server, MAIL.read_bytes(), token)
        if status == 202 or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert status == 202
