"""Pages and the API as the ASGI server serves them (config/asgi.py): the same answers as
through Django's test client, with the middleware chain and the view in one worker thread."""

from __future__ import annotations

import pytest
from asgiref import sync
from asgiref.sync import async_to_sync
from django.test import Client

from balie.accounts.actions import create_api_token
from balie.accounts.models import TokenScope
from balie.core.actors import SYSTEM
from balie.core.tests.asgi_client import request
from balie.tickets.tests.factories import TicketFactory

pytestmark = pytest.mark.django_db(transaction=True)  # the requests run in threads of their own


def call(path: str, *, headers: list[tuple[bytes, bytes]] = ()) -> tuple[int, dict, bytes]:
    """One GET through the ASGI application, as uvicorn makes it; header names in lower case."""
    path, _, query = path.partition("?")
    status, head, body = async_to_sync(request)(
        b"", path=path, query=query, method="GET", content_type="", headers=headers
    )
    return status, {name.lower(): value for name, value in head.items()}, body


@pytest.fixture
def trips(monkeypatch) -> list[str]:
    """Every hand-over of synchronous code to a worker thread, by name."""
    made: list[str] = []
    real = sync.SyncToAsync.__call__

    async def counted(self, *args, **kwargs):
        made.append(getattr(self.func, "__qualname__", repr(self.func)))
        return await real(self, *args, **kwargs)

    monkeypatch.setattr(sync.SyncToAsync, "__call__", counted)
    return made


def test_the_inbox_page_runs_its_middleware_and_view_in_one_thread_hop(cast, trips):
    """Given an agent logged in with tickets of their team,
    when the inbox page is asked through the ASGI application,
    then it is the page the test client shows (rows, security headers), and the request
    handed synchronous code to a worker thread three times: the request_started signal,
    the middleware chain with the view, and closing the response (Django's own handler
    made 17 such trips for this page)."""
    ticket = TicketFactory(team=cast.klantenservice, subject="Meterstand doorgeven")
    client = Client()
    client.force_login(cast.anna.user)
    session = client.cookies["sessionid"].value

    status, head, body = call(
        "/tickets/?view=all", headers=[(b"cookie", f"sessionid={session}".encode())]
    )

    assert status == 200
    assert f"#{ticket.pk}".encode() in body and b"Meterstand doorgeven" in body
    assert head["x-frame-options"] == "DENY"
    assert "content-security-policy" in head
    assert len(trips) <= 3, trips
    # the same rows as the test client's page
    assert body.count(b'class="ticket-row"') == client.get("/tickets/?view=all").content.count(
        b'class="ticket-row"'
    )


def test_the_api_list_and_its_errors_answer_as_before(cast, trips):
    """Given an API token, when the ticket list and a missing ticket are asked over ASGI,
    then the list answers 200 with the ticket, the missing one 404 with its reason, a
    request without a token 401, each in one trip through the middleware."""
    ticket = TicketFactory(team=cast.klantenservice)
    raw = create_api_token(cast.anna, name="asgi", scope=TokenScope.ADMIN, by=SYSTEM)[1]
    bearer = [(b"authorization", f"Bearer {raw}".encode())]

    status, head, body = call("/api/v1/tickets?view=all", headers=bearer)
    assert status == 200 and head["content-type"].startswith("application/json")
    assert f'"number": {ticket.pk}'.encode() in body

    assert call("/api/v1/tickets/999999", headers=bearer)[0] == 404
    assert call("/api/v1/tickets?view=all")[0] == 401
    assert len(trips) <= 9, trips


def test_a_request_thread_is_kept_for_the_next_request_and_never_shared_by_two_at_once(
    monkeypatch,
):
    """Given the ASGI application, when requests come one after another they run in the
    thread the first one had (none started per request); and when two run at once, each has
    a thread of its own: the first waits until the second has run, which would never happen
    if the second queued behind it."""
    import asyncio
    import threading

    from django.http import HttpResponse

    from config.asgi import django_asgi_app

    seen: list[threading.Thread] = []  # the threads themselves (an ident may be reused)
    second_ran = threading.Event()

    def get_response(request):
        seen.append(threading.current_thread())
        if request.path == "/waits/":
            assert second_ran.wait(10), "the second request queued behind the first"
        else:
            second_ran.set()
        return HttpResponse(b"ok")

    monkeypatch.setattr(django_asgi_app, "get_response", get_response)

    one_after_another = [call("/een/")[0], call("/twee/")[0]]
    assert one_after_another == [200, 200]
    assert seen[0] is seen[1]

    async def at_once() -> list[int]:
        waiting = asyncio.ensure_future(request(b"", path="/waits/", method="GET"))
        await asyncio.sleep(0.05)
        answered = await request(b"", path="/runs/", method="GET")
        return [(await waiting)[0], answered[0]]

    seen.clear()
    second_ran.clear()
    assert async_to_sync(at_once)() == [200, 200]
    assert seen[0] is not seen[1]
