"""Live refreshes in a real headless Chromium: what an agent's inbox does while changes stream
in over the live connection. The test server speaks no WebSocket, so the page gets a stand-in
socket that the test feeds with the same frames `/ws/agent/` sends; everything else (the page
script, htmx, the list's re-fetch from the server) is the real thing."""

from __future__ import annotations

import json
import time

import pytest
from django.test import Client

from tests.conftest import WAIT_MS, needs_chromium

pytestmark = [pytest.mark.browser, needs_chromium]

STAND_IN_SOCKET = """
window.__sockets = [];
window.WebSocket = function (url) {
  this.url = url;
  window.__sockets.push(this);
  var socket = this;
  setTimeout(function () { if (socket.onopen) socket.onopen({}); }, 0);
};
window.WebSocket.prototype.send = function () {};
window.WebSocket.prototype.close = function () {};
window.__push = function (frame) {
  window.__sockets.forEach(function (s) { if (s.onmessage) s.onmessage({data: frame}); });
};
"""


def _open_inbox(page, live_server, agent):
    client = Client()
    client.force_login(agent.user)
    page.context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
    )
    page.add_init_script(STAND_IN_SOCKET)
    refreshes: list[float] = []
    page.on(
        "request",
        lambda r: (
            refreshes.append(time.monotonic())
            if r.headers.get("hx-request") and "/tickets/" in r.url
            else None
        ),
    )
    page.goto(f"{live_server.url}/tickets/?view=all_open")
    page.wait_for_function("() => window.__sockets.length === 1")
    return refreshes


@pytest.fixture
def announced(monkeypatch):
    """The live events the server would send to `/ws/agent/`, as (groups, event, data): the
    test server has no WebSocket, so they are collected here and fed to the stand-in socket."""
    from balie.core import realtime

    items: list[tuple[list[str], str, dict]] = []
    monkeypatch.setattr(realtime, "_send_all", items.extend)
    return items


def _new_ticket(cast, subject):
    from balie.core.actors import SYSTEM
    from balie.tickets.actions import create_ticket

    return create_ticket(
        by=SYSTEM, customer=cast.carla, subject=subject, channel="email", team=cast.klantenservice
    )


@pytest.mark.django_db(transaction=True)
def test_inbox_shows_a_new_ticket_while_changes_keep_streaming_in(
    cast, live_server, browser_page, announced
):
    page = browser_page
    refreshes = _open_inbox(page, live_server, cast.anna)
    ticket = _new_ticket(cast, "Storing na de verhuizing")
    assert "Storing na de verhuizing" not in page.locator("#ticket-list").inner_text()

    # A busy desk: a change every 100 ms for 6 seconds, each frame a list like the server's.
    frame = json.dumps([{"event": "ticket.updated", "data": {"ticket": ticket.pk}}])
    page.evaluate(
        """frame => {
             window.__streaming = true;
             var sent = 0;
             var timer = setInterval(function () {
               window.__push(frame);
               if (++sent === 60) { clearInterval(timer); window.__streaming = false; }
             }, 100);
           }""",
        frame,
    )
    # The agent sees the new ticket while the stream is still going, not only after it ends.
    page.locator("#ticket-list").get_by_text("Storing na de verhuizing").wait_for(timeout=4000)
    assert page.evaluate("window.__streaming") is True

    page.wait_for_function("() => window.__streaming === false", timeout=WAIT_MS)
    # The list stays current: a change arriving at the end of the stream is shown too.
    _new_ticket(cast, "Laatste wijziging van de dag")
    page.evaluate("frame => window.__push(frame)", frame)
    page.locator("#ticket-list").get_by_text("Laatste wijziging van de dag").wait_for(
        timeout=WAIT_MS
    )
    page.wait_for_timeout(2500)
    # Sixty-one changes in about seven seconds cost a handful of list fetches, not sixty-one.
    assert 3 <= len(refreshes) <= 6, refreshes


@pytest.mark.django_db(transaction=True)
def test_one_change_refreshes_the_inbox_once(cast, live_server, browser_page, announced):
    page = browser_page
    refreshes = _open_inbox(page, live_server, cast.anna)
    announced.clear()
    _new_ticket(cast, "Vraag over de jaarafrekening")
    # What the server announced for the new ticket, as one frame (a list, as after a trip).
    frame = json.dumps([{"event": event, "data": data} for _groups, event, data in announced])
    assert '"ticket.created"' in frame
    page.evaluate("frame => window.__push(frame)", frame)
    page.locator("#ticket-list").get_by_text("Vraag over de jaarafrekening").wait_for(
        timeout=WAIT_MS
    )
    page.wait_for_timeout(2500)
    assert len(refreshes) == 1, refreshes
