"""Live chat end to end in a real headless Chromium, over a real WebSocket: a customer on the
sample company page /chat/demo/ and an agent in the chat workspace, each in a browser context
of their own, chat both ways; the customer reloads mid-chat and sees the whole history once.

The test server of pytest-django speaks no WebSocket, so the ASGI application runs in uvicorn
in a thread of this process (`asgi_server` in tests/conftest.py)."""

from __future__ import annotations

import re

import pytest

from balie.messaging.models import ChannelAccount
from balie.routing.actions import set_presence
from balie.sla.calendars import forget_calendars
from balie.sla.models import Calendar
from tests.conftest import WAIT_MS, needs_chromium, signed_in

pytestmark = [pytest.mark.browser, needs_chromium, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def two_browsers(chromium):
    customer = chromium.new_context(locale="nl-NL")
    agent = chromium.new_context(locale="nl-NL")
    try:
        yield customer, agent
    finally:
        customer.close()
        agent.close()


def test_customer_and_agent_chat_both_ways_and_a_reload_keeps_the_history_once(
    cast, asgi_server, two_browsers
):
    ChannelAccount.objects.create(
        kind="chat", name="Demo", address="demo", config={"origins": ["self"]}
    )
    Calendar.objects.all().delete()  # open at any hour the suite runs
    forget_calendars()
    set_presence(cast.anna, "online")  # with nobody online the widget is leave-a-message
    customer_context, agent_context = two_browsers
    signed_in(agent_context, cast.anna, asgi_server)

    customer = customer_context.new_page()
    customer.set_default_timeout(WAIT_MS)
    customer.goto(f"{asgi_server}/chat/demo/")
    customer.get_by_role("button", name="Chat met ons").click()
    customer.get_by_label("Naam").fill("Carla de Vries")
    customer.get_by_label("E-mail").fill("carla@example.nl")
    customer.get_by_label("Klantnummer (optioneel)").fill("123456")
    customer.get_by_label("Onderwerp").select_option("question")
    customer.get_by_label("Uw bericht").fill("Hallo, mijn termijnbedrag is te hoog")
    customer.get_by_role("button", name="Verstuur").click()
    # Waiting: the place in the queue (offered to Anna, who has 30 s to accept).
    customer.get_by_text(re.compile(r"U bent nummer 1 in de wachtrij")).wait_for()

    agent = agent_context.new_page()
    agent.set_default_timeout(WAIT_MS)
    agent.goto(f"{asgi_server}/chat/werkplek/")
    agent.locator("#chat-waiting li", has_text="Carla de Vries").get_by_role(
        "button", name="Aannemen"
    ).click()
    column = agent.locator(".chat-col", has_text="Carla de Vries")
    column.get_by_text("Hallo, mijn termijnbedrag is te hoog").wait_for()
    assert "123456" in column.locator(".chat-number").inner_text()
    assert "/chat/demo/" in column.locator(".chat-page a").get_attribute("href")
    column.get_by_label("Antwoord").fill("Goedemiddag Carla, ik kijk met u mee.")
    column.get_by_label("Antwoord").press("Enter")

    log = customer.locator("ol.log")
    log.get_by_text("Goedemiddag Carla, ik kijk met u mee.").wait_for()
    assert customer.get_by_text("Anna helpt u").is_visible()
    customer.get_by_label("Uw bericht").fill("Het is 120 euro per maand")
    customer.get_by_role("button", name="Verstuur").click()
    column.get_by_text("Het is 120 euro per maand").wait_for()

    customer.reload()
    customer.get_by_role("button", name="Chat met ons").click()
    log.get_by_text("Het is 120 euro per maand").wait_for()
    texts = [t.strip() for t in log.locator("li .text").all_inner_texts()]
    assert texts == [
        "Hallo, mijn termijnbedrag is te hoog",
        "Goedemiddag Carla, ik kijk met u mee.",
        "Het is 120 euro per maand",
    ]
    column.get_by_label("Antwoord").fill("Ik verlaag het naar 95 euro.")
    column.get_by_label("Antwoord").press("Enter")
    log.get_by_text("Ik verlaag het naar 95 euro.").wait_for()
    assert log.locator("li").count() == 4
    # The widget's own styles hold against the page's (open shadow root).
    color = customer.get_by_role("button", name="Verstuur").evaluate(
        "b => getComputedStyle(b).color"
    )
    assert color == "rgb(255, 255, 255)"
