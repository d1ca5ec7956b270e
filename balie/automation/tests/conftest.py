from __future__ import annotations

import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from balie.accounts.models import Role
from balie.accounts.tests.factories import AgentFactory, UserFactory


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class WebhookServer:
    """A real HTTP server on 127.0.0.1 that records every POST and answers with the statuses
    queued in `answers` (then 200)."""

    url: str
    received: list[Received] = field(default_factory=list)
    answers: list[int] = field(default_factory=list)


@pytest.fixture
def webhook_server():
    state = WebhookServer(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 - http.server's naming
            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(length)
            state.received.append(Received(self.path, dict(self.headers.items()), body))
            status = state.answers.pop(0) if state.answers else 200
            self.send_response(status)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hooks/balie"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()


@pytest.fixture
def admin_agent(cast):
    return AgentFactory(
        user=UserFactory(username="dirk", email="dirk@voorbeeld-energie.nl"),
        display_name="Dirk Beheer",
        role=Role.ADMIN,
        teams=[cast.klantenservice],
    )


@pytest.fixture
def team_lead(cast):
    return AgentFactory(
        user=UserFactory(username="lotte", email="lotte@voorbeeld-energie.nl"),
        display_name="Lotte Leider",
        role=Role.TEAM_LEAD,
        teams=[cast.klantenservice],
    )


@pytest.fixture
def deliver(django_capture_on_commit_callbacks):
    from balie.intake import pipeline as ingest

    def _deliver(raw: bytes, channel: str = "email", **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            envelope, _created = ingest.receive(channel=channel, raw=raw, **kwargs)
        envelope.refresh_from_db()
        return envelope

    return _deliver
