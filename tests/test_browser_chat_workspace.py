"""The agent's chat workspace in a real headless Chromium: a new chat is announced with a sound
and a desktop notification, accepted, shown beside the visitor's page, language and earlier
tickets; the agent answers with a `/` macro, writes an internal note the visitor never sees and
transfers the chat to another team with a note for whoever takes it."""

from __future__ import annotations

import json
import time
import urllib.request

import pytest

from balie.automation.models import Macro
from balie.chat.models import ChatSession
from balie.messaging.models import ChannelAccount
from balie.routing.actions import set_presence
from balie.sla.calendars import forget_calendars
from balie.sla.models import Calendar
from balie.tickets.models import Direction, Message, Ticket
from balie.tickets.tests.factories import TicketFactory
from tests.conftest import WAIT_MS, needs_chromium, signed_in

pytestmark = [pytest.mark.browser, needs_chromium, pytest.mark.django_db(transaction=True)]

# What the page hears and shows, recorded instead of played: the sound (Web Audio) and the
# desktop notifications (permission granted, as after "Meldingen aanzetten").
RECORDER = """
window.__beeps = 0;
window.__notifications = [];
class RecordedNotification {
  constructor(title, options) { window.__notifications.push({ title, body: options.body }); }
  static get permission() { return "granted"; }
  static requestPermission() { return Promise.resolve("granted"); }
}
window.Notification = RecordedNotification;
class RecordedAudio {
  constructor() { this.currentTime = 0; this.destination = {}; }
  createOscillator() {
    return { frequency: {}, connect() {}, start() { window.__beeps += 1; }, stop() {} };
  }
}
window.AudioContext = RecordedAudio;
"""


def start_chat(server: str, **fields) -> dict:
    """The visitor's widget starting a chat (POST start from the demo page's origin)."""
    body = json.dumps(
        {"cid": "c-1", "topic": "question", "page": f"{server}/chat/demo/", **fields}
    ).encode()
    request = urllib.request.Request(  # noqa: S310 - the test server, http
        f"{server}/chat/api/demo/start",
        data=body,
        headers={"Content-Type": "application/json", "Origin": server},
    )
    with urllib.request.urlopen(request, timeout=WAIT_MS / 1000) as response:  # noqa: S310
        return json.loads(response.read())


def wait_for(check, timeout: float = WAIT_MS / 1000):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.1)
    raise AssertionError("not in time")


@pytest.fixture
def agent_page(cast, asgi_server, chromium):
    context = chromium.new_context(locale="nl-NL", viewport={"width": 1400, "height": 900})
    signed_in(context, cast.anna, asgi_server)
    context.add_init_script(RECORDER)
    page = context.new_page()
    page.set_default_timeout(WAIT_MS)
    try:
        yield page
    finally:
        context.close()


def test_an_agent_is_told_accepts_answers_with_a_macro_notes_and_transfers(
    cast, asgi_server, agent_page
):
    ChannelAccount.objects.create(
        kind="chat", name="Demo", address="demo", config={"origins": ["self"]}
    )
    Calendar.objects.all().delete()  # open at any hour the suite runs
    forget_calendars()
    set_presence(cast.anna, "online")
    Macro.objects.create(name="Termijnbedrag aanpassen", body="U kunt uw termijnbedrag aanpassen.")
    earlier = TicketFactory(
        customer=cast.carla, subject="Verhuizing naar Utrecht", team=cast.klantenservice
    )
    page = agent_page
    page.goto(f"{asgi_server}/chat/werkplek/")
    page.get_by_text("Verbonden").wait_for()
    assert page.evaluate("window.__notifications") == []

    start_chat(
        asgi_server,
        name="Carla Jansen",
        email=cast.carla_email,
        text="Mijn termijnbedrag is te hoog",
    )
    offer = page.locator("#chat-offers li", has_text="Carla Jansen")
    offer.wait_for()
    notes = page.evaluate("window.__notifications")
    assert {"title": "Nieuwe chat", "body": "Carla Jansen"} in notes
    assert page.evaluate("window.__beeps") >= 1

    offer.get_by_role("button", name="Aannemen").click()
    column = page.get_by_role("region", name="Carla Jansen")
    column.get_by_text("Mijn termijnbedrag is te hoog").wait_for()
    session = ChatSession.objects.get()
    ticket = session.ticket
    assert "/chat/demo/" in column.locator(".chat-page a").get_attribute("href")
    assert column.locator(".chat-lang").inner_text() == session.language == "nl"
    assert column.locator(".chat-earlier").inner_text() == f"#{earlier.pk} Verhuizing naar Utrecht"

    box = column.get_by_label("Antwoord")
    box.fill("")
    box.press_sequentially("/termijn")
    choice = column.get_by_role("option", name="Termijnbedrag aanpassen")
    choice.wait_for()
    box.press("Enter")  # takes the macro
    assert box.input_value() == "U kunt uw termijnbedrag aanpassen."
    box.press("Enter")  # sends it
    column.locator(".chat-log li.agent", has_text="U kunt uw termijnbedrag").wait_for()
    wait_for(
        lambda: Message.objects.filter(
            ticket=ticket, direction=Direction.OUTBOUND, body_text__contains="termijnbedrag"
        ).exists()
    )

    column.get_by_label("Interne notitie").check()
    box.fill("Klant vraagt om betalingsregeling")
    box.press("Enter")
    column.locator(".chat-log li.note", has_text="betalingsregeling").wait_for()
    assert column.locator(".chat-log li.note .who").inner_text().startswith("Notitie")
    assert Message.objects.get(ticket=ticket, direction=Direction.NOTE).body_text == (
        "Klant vraagt om betalingsregeling"
    )
    assert not column.get_by_label("Interne notitie").is_checked()

    column.get_by_text("Doorverbinden", exact=True).first.click()  # opens the transfer panel
    column.get_by_label("Of naar team").select_option(label="Techniek")
    column.get_by_label("Notitie voor de collega").fill("Graag een regeling voorstellen")
    column.get_by_role("button", name="Doorverbinden").click()
    column.wait_for(state="detached")
    wait_for(lambda: Ticket.objects.get(pk=ticket.pk).team_id == cast.techniek.pk)
    ticket.refresh_from_db()
    assert ticket.assignee is None  # in the other team's queue now
    assert Message.objects.filter(
        ticket=ticket, direction=Direction.NOTE, body_text="Graag een regeling voorstellen"
    ).exists()
