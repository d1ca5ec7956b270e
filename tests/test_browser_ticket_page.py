"""The ticket page as two agents see it at 1440x900 in a real headless Chromium: the customer
card at the top of the sidebar without scrolling, who else has the ticket open, and a
colleague's typing warning in the sticky header, wherever the agent has scrolled to.

The test server speaks no WebSocket, so each page gets a stand-in socket, and the live events
the server publishes are handed to it as `/ws/agent/` would; the page script, htmx, the
heartbeats, the leave beacon and the server's cache are the real thing."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from balie.core.actors import SYSTEM
from balie.tickets import actions
from tests.conftest import CHROMIUM, LAUNCH_ARGS, WAIT_MS, needs_chromium
from tests.test_browser_live import STAND_IN_SOCKET

pytestmark = [pytest.mark.browser, needs_chromium]

WIDTH, HEIGHT = 1440, 900


@pytest.fixture
def announced(monkeypatch):
    """The live events the server publishes, as (groups, event, data), instead of sending them
    to a channel layer nobody listens to."""
    from balie.core import realtime

    items: list[tuple[list[str], str, dict]] = []
    monkeypatch.setattr(realtime, "_send_all", items.extend)
    return items


@pytest.fixture
def browser(monkeypatch):
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        try:
            yield browser
        finally:
            browser.close()


class Agents:
    """Two agents' browsers on one ticket, and the live events passed on to both."""

    def __init__(self, browser, live_server, announced):
        self.browser, self.url, self.announced = browser, live_server.url, announced
        self.pages: list = []
        self.delivered = 0

    def open(self, agent, path):
        client = Client()
        client.force_login(agent.user)
        context = self.browser.new_context(
            viewport={"width": WIDTH, "height": HEIGHT}, locale="nl-NL"
        )
        context.add_cookies(
            [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": self.url}]
        )
        context.add_init_script(STAND_IN_SOCKET)
        page = context.new_page()
        page.set_default_timeout(WAIT_MS)
        page.goto(self.url + path)
        page.wait_for_function("() => window.__sockets.length === 1")
        self.pages.append(page)
        return page

    def deliver(self):
        """What the server published since the last call, to every open page, as frames."""
        new, self.delivered = self.announced[self.delivered :], len(self.announced)
        frames = [json.dumps({"event": event, "data": data}) for _groups, event, data in new]
        for page in self.pages:
            if not page.is_closed():
                for frame in frames:
                    page.evaluate("frame => window.__push(frame)", frame)


def in_view(page, selector) -> bool:
    return page.evaluate(
        """sel => { const b = document.querySelector(sel).getBoundingClientRect();
                    return b.height > 0 && b.top >= 0 && b.bottom <= window.innerHeight; }""",
        selector,
    )


def busy_whatsapp_ticket(cast):
    """A WhatsApp conversation long enough to scroll, with a customer who has history."""
    ticket = actions.create_ticket(
        customer=cast.carla,
        subject="Storing na de verhuizing",
        channel="whatsapp",
        by=SYSTEM,
        team=cast.klantenservice,
    )
    for n in range(12):
        actions.add_note(ticket, by=cast.anna, text=f"Stap {n}: meterstanden nagevraagd.\n" * 4)
    for n in range(6):
        actions.create_ticket(
            customer=cast.carla,
            subject=f"Eerdere vraag {n}",
            channel="email",
            by=SYSTEM,
            team=cast.klantenservice,
        )
    return ticket


@pytest.mark.django_db(transaction=True)
def test_two_agents_on_one_ticket_see_each_other_and_the_typing_warning_stays_in_view(
    cast, live_server, browser, announced
):
    from django.core.cache import cache

    cache.clear()
    ticket = busy_whatsapp_ticket(cast)
    agents = Agents(browser, live_server, announced)
    path = f"/tickets/{ticket.pk}/"

    anna = agents.open(cast.anna, path)
    # The customer is the first thing in the sidebar, in view without scrolling.
    assert "customer-card" in anna.evaluate(
        "document.querySelector('.ticket-side').firstElementChild.className"
    )
    for selector in ("#customer-card-title", ".customer-name", ".customer-card .details"):
        assert in_view(anna, selector), selector
    assert anna.locator(".customer-name").inner_text() == "Carla Jansen"
    assert anna.locator("#presence").inner_text() == ""  # nobody else here

    bram = agents.open(cast.bram, path)
    agents.deliver()
    anna.locator(".presence-viewers").get_by_text("Bekijkt dit ticket ook: Bram Bakker").wait_for()
    bram.locator(".presence-viewers").get_by_text(
        "Bekijkt dit ticket ook: Anna de Vries"
    ).wait_for()

    # Anna reads on at the bottom of the conversation while Bram starts an answer.
    anna.mouse.wheel(0, 5000)
    anna.wait_for_function("() => window.scrollY > 500")
    bram.locator("#reply-form textarea[name=text]").press_sequentially("Beste Carla, ")
    bram.wait_for_timeout(300)
    agents.deliver()
    warning = anna.locator(".presence-warning")
    warning.get_by_text("Bram Bakker is ook een antwoord aan het schrijven").wait_for()
    assert anna.evaluate("window.scrollY") > 500
    assert in_view(anna, ".presence-warning")
    assert in_view(anna, "#ticket-header h1")

    # Bram goes back to his inbox: Anna's page says so at once, not at the next heartbeat.
    bram.goto(live_server.url + "/tickets/")
    anna.wait_for_timeout(300)
    agents.deliver()
    anna.locator(".presence-warning").wait_for(state="detached")
    anna.locator(".presence-viewers").wait_for(state="detached")
    assert anna.locator("#presence").inner_text() == ""
