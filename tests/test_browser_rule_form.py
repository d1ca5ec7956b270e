"""An admin builds a rule in the form in a real headless Chromium, partly by keyboard: the event,
two conditions (channel and words), the action "set priority"; sees the preview of the recent
tickets it matches; saves; and a new matching ticket filed through the contact form gets the
priority. The page runs under the Content-Security-Policy without a violation."""

from __future__ import annotations

import re

import pytest

from balie.accounts.models import Role
from balie.accounts.tests.factories import AgentFactory, UserFactory
from balie.automation.models import Rule
from balie.tickets.actions import create_ticket
from balie.tickets.models import Ticket
from tests.conftest import WAIT_MS, needs_chromium

pytestmark = [pytest.mark.browser, needs_chromium]


def file_contact_form(page, base_url: str, *, subject: str, body: str) -> int:
    page.goto(f"{base_url}/contact/")
    page.get_by_label("Naam").fill("Dirk Visser")
    page.get_by_label("E-mailadres").fill("dirk.visser@example.nl")
    page.get_by_label("Onderwerp van uw vraag").select_option("billing")
    page.get_by_label("Korte omschrijving").fill(subject)
    page.get_by_label("Uw bericht").fill(body)
    page.get_by_role("button", name="Versturen").click()
    page.wait_for_url(re.compile(r"/contact/bedankt/"))
    return int(re.search(r"#(\d{5,})", page.locator("main").inner_text()).group(1))


@pytest.mark.django_db(transaction=True)
def test_admin_builds_a_rule_in_the_form_and_a_new_ticket_gets_its_priority(
    cast, live_server, settings, browser_page
):
    settings.BALIE_CONTACT_MIN_SECONDS = 0
    settings.BALIE_BASE_URL = live_server.url
    AgentFactory(
        user=UserFactory(username="dirk", email="dirk@voorbeeld-energie.nl"),
        display_name="Dirk Beheer",
        role=Role.ADMIN,
        teams=[cast.klantenservice],
    )
    earlier = create_ticket(
        customer=cast.carla,
        subject="Storing in de app",
        channel="webform",
        by=cast.carla,
    )
    create_ticket(customer=cast.carla, subject="Storing per mail", channel="email", by=cast.carla)
    page = browser_page
    violations: list[str] = []
    page.on(
        "console",
        lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None,
    )

    page.goto(f"{live_server.url}/inloggen/")
    page.get_by_label("Gebruikersnaam").fill("dirk")
    page.get_by_label("Wachtwoord").fill("geheim-wachtwoord")
    page.get_by_role("button", name="Inloggen").click()
    page.wait_for_url(re.compile(r"/tickets/"))

    page.goto(f"{live_server.url}/beheer/regels/nieuw/")
    page.get_by_label("Naam", exact=True).fill("Storing via formulier is urgent")
    page.get_by_label("Wanneer").select_option(label="Ticket aangemaakt")

    # Condition 1: the channel, ticked in a list.
    page.get_by_label("Soort voorwaarde").select_option(label="Kanaal")
    page.get_by_role("button", name="Voorwaarde toevoegen").click()
    first = page.get_by_role("group", name="Voorwaarde 1: Kanaal")
    first.get_by_label("Contactformulier").check()

    # Condition 2, by keyboard: the new row has the focus; Tab to the words, Enter previews.
    page.get_by_label("Soort voorwaarde").select_option(label="Woorden in onderwerp of bericht")
    page.get_by_role("button", name="Voorwaarde toevoegen").click()
    second = page.get_by_role("group", name="Voorwaarde 2: Woorden in onderwerp of bericht")
    assert second.get_by_label("Waar").evaluate("el => el === document.activeElement")
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    page.keyboard.type("storing")
    assert (
        page.get_by_role("group", name="Voorwaarde 1: Kanaal")
        .get_by_label("Contactformulier")
        .is_checked()
    )

    # The action: set priority.
    page.get_by_label("Soort actie").select_option(label="Prioriteit wordt")
    page.get_by_role("button", name="Actie toevoegen").click()
    page.get_by_role("group", name="Actie 1: Prioriteit wordt").get_by_label("Wordt").select_option(
        label="Urgent"
    )
    page.get_by_role("group", name="Voorwaarde 2: Woorden in onderwerp of bericht").get_by_label(
        "Woorden"
    ).press("Enter")

    preview = page.locator(".rule-preview")
    preview.wait_for()
    assert "1 van de laatste 2 tickets" in preview.inner_text()
    assert f"#{earlier.pk}" in preview.inner_text()
    assert "Storing per mail" not in preview.inner_text()
    assert not Rule.objects.exists()

    page.get_by_role("button", name="Opslaan", exact=True).click()
    page.wait_for_url(re.compile(r"/beheer/regels/$"))
    assert "Storing via formulier is urgent" in page.locator("main").inner_text()
    assert Rule.objects.get().conditions == [
        {"field": "channel", "op": "is", "value": "webform"},
        {"field": "text", "op": "contains", "value": "storing"},
    ]

    matching = file_contact_form(
        page, live_server.url, subject="Geen stroom", body="Sinds vanochtend een storing."
    )
    other = file_contact_form(
        page, live_server.url, subject="Verhuizing", body="Ik ga verhuizen in mei."
    )

    assert Ticket.objects.get(pk=matching).priority == "urgent"
    assert Ticket.objects.get(pk=other).priority == "normal"
    assert violations == []


@pytest.mark.django_db(transaction=True)
def test_the_rule_form_works_without_javascript(cast, live_server):
    import os

    from playwright.sync_api import sync_playwright

    from tests.conftest import CHROMIUM, LAUNCH_ARGS

    AgentFactory(
        user=UserFactory(username="dirk", email="dirk@voorbeeld-energie.nl"),
        display_name="Dirk Beheer",
        role=Role.ADMIN,
        teams=[cast.klantenservice],
    )
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
            context = browser.new_context(java_script_enabled=False, locale="nl-NL")
            page = context.new_page()
            page.set_default_timeout(WAIT_MS)
            page.goto(f"{live_server.url}/inloggen/")
            page.get_by_label("Gebruikersnaam").fill("dirk")
            page.get_by_label("Wachtwoord").fill("geheim-wachtwoord")
            page.get_by_role("button", name="Inloggen").click()
            page.wait_for_url(re.compile(r"/tickets/"))

            page.goto(f"{live_server.url}/beheer/regels/nieuw/")
            page.get_by_label("Naam", exact=True).fill("Techniek zonder script")
            page.get_by_label("Soort voorwaarde").select_option(label="Team")
            page.get_by_role("button", name="Voorwaarde toevoegen").click()
            row = page.get_by_role("group", name="Voorwaarde 1: Team")
            row.get_by_label("Team").select_option(label="Techniek")
            page.get_by_label("Soort actie").select_option(label="Behandelaar wordt")
            page.get_by_role("button", name="Actie toevoegen").click()
            page.get_by_role("group", name="Actie 1: Behandelaar wordt").get_by_label(
                "Medewerker"
            ).select_option(label="Bram Bakker")
            page.get_by_role("button", name="Opslaan", exact=True).click()
            page.wait_for_url(re.compile(r"/beheer/regels/$"))
            assert "Team: is Techniek" in page.locator("main").inner_text()
            context.close()
            browser.close()
    finally:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)

    rule = Rule.objects.get()
    assert rule.conditions == [{"field": "team", "op": "is", "value": "techniek"}]
    assert rule.actions == [{"type": "assign_agent", "agent": "bram"}]
