"""The inbox as an agent sees it at 1440x900 in a real headless Chromium: compact rows (25 or
more tickets on one screen, cut-off text whole on hover), the comfortable density as a setting,
and the sort menu that shows the sort applied and keeps it when a filter changes."""

from __future__ import annotations

import re

import pytest

from balie.core.actors import SYSTEM
from balie.tickets import actions
from tests.conftest import needs_chromium

pytestmark = [pytest.mark.browser, needs_chromium]

LONG = "Mijn jaarafrekening klopt niet en het voorschot is na de verhuizing veel te hoog geworden"


def log_in(page, url, username="anna"):
    page.goto(f"{url}/inloggen/")
    page.get_by_label("Gebruikersnaam").fill(username)
    page.get_by_label("Wachtwoord").fill("geheim-wachtwoord")
    page.get_by_role("button", name="Inloggen").click()
    page.wait_for_url(re.compile(r"/tickets/"))


def rows_on_screen(page) -> int:
    """Ticket rows wholly inside the 900 px high window."""
    return page.evaluate(
        """() => [...document.querySelectorAll('#ticket-list tbody tr')]
             .filter(r => { const b = r.getBoundingClientRect();
                            return b.top >= 0 && b.bottom <= window.innerHeight; }).length"""
    )


@pytest.mark.django_db(transaction=True)
def test_compact_rows_fit_25_tickets_at_1440x900_and_comfortable_is_a_setting(
    cast, live_server, browser_page
):
    for n in range(40):
        actions.create_ticket(
            customer=cast.carla,
            subject=f"{LONG} ({n})",
            channel="email",
            by=SYSTEM,
            team=cast.klantenservice,
        )
    page = browser_page
    page.set_viewport_size({"width": 1440, "height": 900})
    log_in(page, live_server.url)
    page.goto(f"{live_server.url}/tickets/?view=all_open")

    assert rows_on_screen(page) >= 25
    first = page.locator("#ticket-list tbody tr").first
    # One line per row; the whole subject is in the title shown on hover.
    assert first.bounding_box()["height"] < 32
    subject = first.locator(".col-subject a")
    assert subject.get_attribute("title").startswith(LONG)

    # Comfortable rows, chosen once, are kept for the agent (a new session too).
    page.get_by_role("button", name="Ruim").click()
    page.wait_for_url(re.compile(r"view=all_open"))
    assert page.get_by_role("button", name="Ruim").get_attribute("aria-pressed") == "true"
    comfortable = rows_on_screen(page)
    assert comfortable < 25
    page.context.clear_cookies()
    log_in(page, live_server.url)
    page.goto(f"{live_server.url}/tickets/?view=all_open")
    assert rows_on_screen(page) == comfortable


@pytest.mark.django_db(transaction=True)
def test_the_sort_menu_shows_the_sort_applied_and_a_filter_keeps_it(
    cast, live_server, browser_page
):
    older = actions.create_ticket(
        customer=cast.carla,
        subject="Oudste vraag",
        channel="email",
        by=SYSTEM,
        team=cast.klantenservice,
        priority="high",
    )
    newer = actions.create_ticket(
        customer=cast.carla,
        subject="Nieuwste vraag",
        channel="email",
        by=SYSTEM,
        team=cast.klantenservice,
        priority="high",
    )
    page = browser_page
    log_in(page, live_server.url)
    page.goto(f"{live_server.url}/tickets/?view=all_open")
    sort = page.get_by_label("Sorteren")
    # Open work is sorted by what must be answered first, and the menu says so.
    assert sort.evaluate("s => s.options[s.selectedIndex].text") == "Eerst te beantwoorden (SLA)"

    sort.select_option("newest")
    page.wait_for_url(re.compile(r"sort=newest"))
    page.get_by_label("Prioriteit").select_option("high")
    page.wait_for_url(re.compile(r"priority=high"))
    assert "sort=newest" in page.url
    assert sort.evaluate("s => s.options[s.selectedIndex].text") == "Nieuwste tickets eerst"
    numbers = page.locator("#ticket-list .col-number a").all_inner_texts()
    assert numbers[:2] == [f"#{newer.pk}", f"#{older.pk}"]

    # The choice is remembered for this view, in a new session too.
    page.context.clear_cookies()
    log_in(page, live_server.url)
    page.goto(f"{live_server.url}/tickets/?view=all_open")
    assert page.get_by_label("Sorteren").input_value() == "newest"
    # Another view keeps its own default.
    page.goto(f"{live_server.url}/tickets/?view=solved")
    assert page.get_by_label("Sorteren").input_value() == "recent"
