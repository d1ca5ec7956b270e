"""The chat widget for everyone: no WCAG 2.1 AA violations found by axe-core (contrast included)
on the widget, its pre-chat form, the chat, the rating and the leave-a-message form; a visitor
who uses only the keyboard starts a chat, writes, ends it and rates it; the widget speaks the
page's language.

axe-core comes with the `axe-playwright-python` package (its bundled `axe.min.js`, axe-core is
MPL-2.0, the package MIT) and runs inside the page, through the widget's open shadow root."""

from __future__ import annotations

from importlib import import_module

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.apps import apps as django_apps

from balie.chat.models import ChatSession
from balie.chat.tests.conftest import SUNDAY
from balie.messaging.models import ChannelAccount
from balie.routing.actions import set_presence
from balie.sla.calendars import forget_calendars
from balie.sla.models import Calendar
from balie.tickets.models import Message, Ticket
from tests.conftest import needs_chromium

pytestmark = [pytest.mark.browser, needs_chromium, pytest.mark.django_db(transaction=True)]

WCAG_21_AA = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}


def assert_no_violations(page, moment: str) -> None:
    violations = Axe().run(page, options=WCAG_21_AA).response["violations"]
    found = [
        f"{v['id']} ({v['impact']}): {v['help']}: {node['target']} {node['failureSummary']}"
        for v in violations
        for node in v["nodes"]
    ]
    assert not found, f"{moment}:\n" + "\n".join(found)


def widget(page):
    """The widget's shadow root: Playwright's locators pierce open shadow roots."""
    return page.locator("#balie-chat").locator(".panel")


def focused(page) -> str:
    """What has the keyboard focus, as a screen reader would name it: the element inside the
    widget's shadow root when the focus is there."""
    return page.evaluate(
        """() => {
          let e = document.activeElement;
          while (e && e.shadowRoot && e.shadowRoot.activeElement) e = e.shadowRoot.activeElement;
          if (!e) return "";
          const label = e.id && e.getRootNode().querySelector('label[for="' + e.id + '"]');
          return (e.getAttribute("aria-label") || (label && label.textContent) ||
                  e.textContent || e.tagName).trim();
        }"""
    )


@pytest.fixture
def chat_open(cast):
    ChannelAccount.objects.create(
        kind="chat", name="Demo", address="demo", config={"origins": ["self"]}
    )
    Calendar.objects.all().delete()  # open at any hour the suite runs
    forget_calendars()
    set_presence(cast.anna, "online")


def test_the_widget_the_pre_chat_form_the_chat_and_the_rating_pass_axe(
    chat_open, asgi_server, browser_page
):
    page = browser_page
    page.goto(f"{asgi_server}/chat/demo/")
    page.get_by_role("button", name="Chat met ons").wait_for()
    assert_no_violations(page, "the page with the closed widget")

    page.get_by_role("button", name="Chat met ons").click()
    page.get_by_label("Naam").wait_for()
    assert_no_violations(page, "the pre-chat form")

    page.get_by_role("button", name="Verstuur").click()  # nothing filled in
    page.get_by_role("alert").get_by_text("Naam").wait_for()
    assert_no_violations(page, "the pre-chat form saying what is missing")

    page.get_by_label("Naam").fill("Carla de Vries")
    page.get_by_label("E-mail").fill("carla@example.nl")
    page.get_by_label("Uw bericht").fill("Mijn meterstand klopt niet")
    page.get_by_role("button", name="Verstuur").click()
    page.get_by_text("U bent nummer 1 in de wachtrij").wait_for()
    assert_no_violations(page, "the chat while waiting")

    page.get_by_role("button", name="Gesprek beëindigen").click()
    page.get_by_role("group", name="Hoe tevreden bent u over dit gesprek?").wait_for()
    # An ended chat offers nothing more to send or end; its transcript can still be mailed.
    assert not widget(page).get_by_role("button", name="Gesprek beëindigen").is_visible()
    assert not widget(page).get_by_label("Uw bericht").is_visible()
    assert not widget(page).get_by_label("Bestand toevoegen").is_visible()
    assert widget(page).get_by_role("button", name="Stuur mij het gesprek per e-mail").is_visible()
    assert_no_violations(page, "the rating after the chat")


def test_the_leave_a_message_form_on_a_closed_day_passes_axe_and_shows_the_promise(
    cast, asgi_server, browser_page, monkeypatch
):
    from django.utils import timezone

    ChannelAccount.objects.create(
        kind="chat", name="Demo", address="demo", config={"origins": ["self"]}
    )
    demo_hours = import_module("balie.sla.migrations.0002_demo_calendar_and_policies")
    demo_hours.create(django_apps, None)  # the demo company's hours: chat closed on Sunday
    forget_calendars()
    set_presence(cast.anna, "online")
    monkeypatch.setattr(timezone, "now", lambda: SUNDAY)  # the server's clock: closed all day
    page = browser_page
    page.goto(f"{asgi_server}/chat/demo/")
    page.get_by_role("button", name="Chat met ons").click()

    page.get_by_role("heading", name="Laat een bericht achter").wait_for()
    assert "De chat is nu gesloten" in widget(page).inner_text()
    promise = widget(page).locator(".promise").inner_text()
    assert promise.startswith("U krijgt uiterlijk")
    assert_no_violations(page, "the leave-a-message form")

    page.get_by_label("Naam").fill("Dirk Jansen")
    page.get_by_label("E-mail").fill("dirk@example.nl")
    page.get_by_label("Uw bericht").fill("Kan ik mijn termijnbedrag verlagen?")
    page.get_by_role("button", name="Verstuur").click()
    page.get_by_role("status").get_by_text("Bedankt. Uw bericht heeft nummer").wait_for()
    ticket = Ticket.objects.get()
    assert f"#{ticket.number}" in page.get_by_role("status").inner_text()
    assert ticket.channel == "webform" and not ChatSession.objects.exists()
    assert widget(page).locator(".promise").inner_text().startswith("U krijgt uiterlijk")
    assert_no_violations(page, "the thanks for the message")


def test_a_visitor_using_only_the_keyboard_chats_ends_and_rates(
    chat_open, asgi_server, browser_page
):
    page = browser_page
    page.goto(f"{asgi_server}/chat/demo/")
    page.get_by_role("button", name="Chat met ons").wait_for()
    for _ in range(10):  # past the page's own links to the widget's button
        page.keyboard.press("Tab")
        if focused(page) == "Chat met ons":
            break
    assert focused(page) == "Chat met ons"
    outline = page.evaluate(
        "() => getComputedStyle(document.querySelector('#balie-chat').shadowRoot"
        ".activeElement).outlineStyle"
    )
    assert outline == "solid"  # the focus is visible

    page.keyboard.press("Enter")
    page.get_by_label("Naam").wait_for()
    assert focused(page) == "Naam"
    page.keyboard.type("Carla de Vries")
    page.keyboard.press("Tab")
    assert focused(page) == "E-mail"
    page.keyboard.type("carla@example.nl")
    page.keyboard.press("Tab")
    assert focused(page) == "Klantnummer (optioneel)"
    page.keyboard.press("Tab")
    assert focused(page) == "Onderwerp"
    page.keyboard.press("ArrowDown")
    chosen = page.get_by_label("Onderwerp").evaluate("s => s.value")
    page.keyboard.press("Tab")
    assert focused(page) == "Uw bericht"
    page.keyboard.type("Ik wil mijn termijnbedrag aanpassen")
    page.keyboard.press("Tab")
    assert focused(page) == "Verstuur"
    page.keyboard.press("Enter")

    page.get_by_text("U bent nummer 1 in de wachtrij").wait_for()
    # The focus moves on to the message box of the chat, not lost on the page.
    assert focused(page) == "Uw bericht"
    page.keyboard.type("Het gaat om mijn contract")
    page.keyboard.press("Enter")
    page.locator("li[data-id]", has_text="Het gaat om mijn contract").wait_for()
    session = ChatSession.objects.get()
    assert session.topic == chosen and session.name == "Carla de Vries"
    assert list(
        Message.objects.filter(ticket=session.ticket).values_list("body_text", flat=True)
    ) == [
        "Ik wil mijn termijnbedrag aanpassen",
        "Het gaat om mijn contract",
    ]

    # Escape closes the widget and gives the focus back to its button; Enter opens it again.
    page.keyboard.press("Escape")
    assert focused(page) == "Chat met ons"
    page.keyboard.press("Enter")
    assert focused(page) == "Uw bericht"

    for _ in range(8):  # on to the end button
        page.keyboard.press("Tab")
        if focused(page) == "Gesprek beëindigen":
            break
    assert focused(page) == "Gesprek beëindigen"
    page.keyboard.press("Enter")
    page.get_by_role("group", name="Hoe tevreden bent u over dit gesprek?").wait_for()
    # The rating comes next: the focus is on its first choice; arrows pick, Tab goes on.
    assert focused(page) == "1 – zeer ontevreden"
    for _ in range(3):
        page.keyboard.press("ArrowRight")
    assert focused(page) == "4 – tevreden"
    page.keyboard.press("Tab")
    assert focused(page) == "Toelichting (optioneel)"
    page.keyboard.type("Snel geholpen")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    page.get_by_role("status").get_by_text("Bedankt voor uw beoordeling.").wait_for()
    session.refresh_from_db()
    assert (session.rating, session.rating_comment) == (4, "Snel geholpen")


def test_the_widget_speaks_the_pages_language(chat_open, asgi_server, browser_page):
    page = browser_page
    page.goto(f"{asgi_server}/chat/demo/?lang=en")
    page.get_by_role("button", name="Chat with us").click()
    for label in ("Name", "E-mail", "Customer number (optional)", "Subject", "Your message"):
        page.get_by_label(label, exact=True).wait_for()
    topics = page.get_by_label("Subject").locator("option").all_inner_texts()
    assert topics[:2] == ["Question", "Bill and payment"] or topics[0] == "Question"
    assert page.get_by_role("button", name="Send").is_visible()
    assert_no_violations(page, "the English pre-chat form")

    page.goto(f"{asgi_server}/chat/demo/?lang=nl")
    page.get_by_role("button", name="Chat met ons").click()
    for label in ("Naam", "E-mail", "Klantnummer (optioneel)", "Onderwerp", "Uw bericht"):
        page.get_by_label(label, exact=True).wait_for()


def test_a_chat_that_waits_too_long_becomes_a_left_message_with_its_promise(
    cast, asgi_server, browser_page, monkeypatch
):
    import threading
    from datetime import timedelta

    from django.utils import timezone

    from balie.chat.tests.conftest import TUESDAY_MORNING
    from balie.routing.actions import tick
    from balie.routing.models import OverflowAction, TeamRouting

    ChannelAccount.objects.create(
        kind="chat", name="Demo", address="demo", config={"origins": ["self"]}
    )
    demo_hours = import_module("balie.sla.migrations.0002_demo_calendar_and_policies")
    demo_hours.create(django_apps, None)
    forget_calendars()
    monkeypatch.setattr(timezone, "now", lambda: TUESDAY_MORNING)  # open
    set_presence(cast.anna, "online")
    page = browser_page
    page.goto(f"{asgi_server}/chat/demo/")
    page.get_by_role("button", name="Chat met ons").click()
    page.get_by_label("Naam").fill("Carla de Vries")
    page.get_by_label("E-mail").fill("carla@example.nl")
    page.get_by_label("Uw bericht").fill("Is mijn storing al bekend?")
    page.get_by_role("button", name="Verstuur").click()
    page.get_by_text("U bent nummer 1 in de wachtrij").wait_for()

    set_presence(cast.anna, "away", reason="break")  # nobody takes it now
    # and the team waits at most a minute, then leave-a-message (set now: with that limit
    # and no handling times yet, the chat would not have started)
    TeamRouting.objects.update_or_create(
        team=cast.klantenservice,
        defaults={"overflow_wait": 60, "overflow_action": OverflowAction.MESSAGE},
    )

    later = TUESDAY_MORNING + timedelta(seconds=61)
    worker = threading.Thread(target=tick, kwargs={"now": later})  # as Celery beat runs it
    worker.start()
    worker.join()

    told = page.get_by_role("status").filter(has_text="Het is nu te druk")
    told.wait_for()
    ticket = ChatSession.objects.get().ticket
    assert f"ticket #{ticket.pk}" in told.inner_text()
    assert "U krijgt uiterlijk dinsdag 2 juni" in told.inner_text()
    assert page.get_by_label("Uw bericht").is_disabled()
    assert page.get_by_role("group", name="Hoe tevreden bent u over dit gesprek?").count() == 0
    assert_no_violations(page, "the chat turned into a left message")


def test_a_visitor_sends_a_file_is_told_why_another_is_refused_and_mails_the_transcript(
    chat_open, asgi_server, browser_page
):
    page = browser_page
    page.goto(f"{asgi_server}/chat/demo/")
    page.get_by_role("button", name="Chat met ons").click()
    page.get_by_label("Naam").fill("Carla de Vries")
    page.get_by_label("E-mail").fill("carla@example.nl")
    page.get_by_label("Uw bericht").fill("Hier is de foto van mijn meter")
    page.get_by_role("button", name="Verstuur").click()
    page.get_by_text("U bent nummer 1 in de wachtrij").wait_for()

    page.get_by_label("Bestand toevoegen").set_input_files(
        {"name": "meter.png", "mimeType": "image/png", "buffer": b"\x89PNG\r\n\x1a\n...."}
    )
    link = widget(page).get_by_role("link", name="meter.png")
    link.wait_for()  # in the conversation, as the agent sees it too
    ticket = ChatSession.objects.get().ticket
    stored = Message.objects.get(ticket=ticket, attachments__filename="meter.png")
    assert stored.direction == "inbound"

    page.get_by_label("Bestand toevoegen").set_input_files(
        {"name": "virus.exe", "mimeType": "application/x-msdownload", "buffer": b"MZ...."}
    )
    widget(page).get_by_role("status").filter(has_text="niet toegestaan").wait_for()
    assert not Message.objects.filter(ticket=ticket, attachments__filename="virus.exe").exists()
    # The next file that goes through takes the refusal away: the visitor sees their place again.
    page.get_by_label("Bestand toevoegen").set_input_files(
        {"name": "meter-2.png", "mimeType": "image/png", "buffer": b"\x89PNG\r\n\x1a\n...."}
    )
    widget(page).get_by_role("link", name="meter-2.png").wait_for()
    widget(page).get_by_role("status").filter(has_text="U bent nummer 1 in de wachtrij").wait_for()
    assert "niet toegestaan" not in widget(page).get_by_role("status").first.inner_text()

    page.get_by_role("button", name="Stuur mij het gesprek per e-mail").click()
    widget(page).get_by_role("status").filter(
        has_text="Het gesprek is onderweg naar carla@example.nl."
    ).wait_for()
    mail = Message.objects.filter(ticket=ticket, direction="outbound").get()
    assert "Hier is de foto van mijn meter" in mail.body_text
    assert_no_violations(page, "the chat with a file and the transcript sent")
