"""The journey a service desk must never see broken, in a real headless Chromium: a customer
submits the contact form, an agent logs in, finds the ticket in the inbox, replies, and the
reply arrives at the (real, local) SMTP server with the whole answer."""

from __future__ import annotations

import re

import pytest

from tests.conftest import needs_chromium

pytestmark = [pytest.mark.browser, needs_chromium]


@pytest.mark.django_db(transaction=True)
def test_contact_form_to_agent_reply_by_smtp(
    cast, live_server, smtp_server, settings, browser_page
):
    settings.BALIE_CONTACT_MIN_SECONDS = 0
    settings.BALIE_BASE_URL = live_server.url
    page = browser_page

    # The customer writes through the contact form.
    page.goto(f"{live_server.url}/contact/")
    page.get_by_label("Naam").fill("Dirk Visser")
    page.get_by_label("E-mailadres").fill("dirk.visser@example.nl")
    page.get_by_label("Onderwerp van uw vraag").select_option("billing")
    page.get_by_label("Korte omschrijving").fill("Voorschot te hoog na verhuizing")
    page.get_by_label("Uw bericht").fill(
        "Sinds mijn verhuizing betaal ik 180 euro per maand. Dat klopt niet."
    )
    page.get_by_role("button", name="Versturen").click()
    page.wait_for_url(re.compile(r"/contact/bedankt/"))
    confirmation = page.locator("main").inner_text()
    number = re.search(r"#(\d{5,})", confirmation).group(1)

    # The agent logs in and finds it in the inbox.
    page.goto(f"{live_server.url}/inloggen/")
    page.get_by_label("Gebruikersnaam").fill("anna")
    page.get_by_label("Wachtwoord").fill("geheim-wachtwoord")
    page.get_by_role("button", name="Inloggen").click()
    page.wait_for_url(re.compile(r"/tickets/"))
    page.goto(f"{live_server.url}/tickets/?view=all_open")
    page.get_by_role("link", name=re.compile("Voorschot te hoog na verhuizing")).first.click()
    page.wait_for_url(re.compile(rf"/tickets/{number}/"))
    assert "Sinds mijn verhuizing betaal ik 180 euro" in page.locator("#conversation").inner_text()

    # … and replies.
    answer = "Beste Dirk, we hebben uw voorschot verlaagd naar 125 euro per maand."
    page.locator("#reply-form textarea[name=text]").fill(answer)
    page.locator("#reply-form").get_by_role("button", name="Verzenden").click()
    page.locator("#conversation").get_by_text("we hebben uw voorschot verlaagd").wait_for()

    # The reply arrives by SMTP, with the ticket number and the whole answer.
    def reply_mail():
        for mail in smtp_server.received:
            message = mail.message
            if (
                "dirk.visser@example.nl" in mail.rcpt_tos
                and "125 euro" in message.get_body(("plain",)).get_content()
            ):
                return message
        return None

    smtp_server.wait_for(2, timeout=10)
    message = reply_mail()
    assert message is not None, [m.message["Subject"] for m in smtp_server.received]
    assert f"[#{number}]" in message["Subject"]
    assert message["In-Reply-To"]
