"""Under the Content-Security-Policy nothing of Balie's own is blocked: the agent's pages, the
portal and the contact page run their scripts (htmx, live updates, the menu) from files, and
the browser reports no violation."""

from __future__ import annotations

import re

import pytest

from balie.core.actors import SYSTEM
from balie.tickets.actions import create_ticket
from tests.conftest import needs_chromium

pytestmark = [pytest.mark.browser, needs_chromium]


@pytest.mark.django_db(transaction=True)
def test_no_page_breaks_the_content_security_policy(cast, live_server, browser_page):
    page = browser_page
    violations: list[str] = []
    page.on(
        "console",
        lambda message: (
            violations.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    ticket = create_ticket(
        customer=cast.carla,
        subject="Meterstand",
        team=cast.klantenservice,
        channel="email",
        by=SYSTEM,
    )

    for path in ("/contact/", "/portaal/", "/api/v1/docs"):
        page.goto(f"{live_server.url}{path}")
        page.wait_for_load_state("networkidle")
    assert page.locator(".swagger-ui").count() == 1  # the API docs rendered
    page.goto(f"{live_server.url}/inloggen/")
    page.get_by_label("Gebruikersnaam").fill("anna")
    page.get_by_label("Wachtwoord").fill("geheim-wachtwoord")
    page.get_by_role("button", name="Inloggen").click()
    page.wait_for_url(re.compile(r"/tickets/"))
    # balie.js ran: the page knows it has script
    assert page.evaluate("() => document.documentElement.classList.contains('js')")
    for path in (f"/tickets/{ticket.pk}/", "/tickets/nieuw/", "/klanten/"):
        page.goto(f"{live_server.url}{path}")
        page.wait_for_load_state("networkidle")

    assert violations == []
