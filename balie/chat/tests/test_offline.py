"""When the calendar says the chat is closed, the widget offers a leave-a-message form that
files as the contact form does and tells by when the answer comes."""

from __future__ import annotations

from balie.chat.tests.conftest import SUNDAY, TUESDAY_MORNING
from balie.tickets.models import Ticket

SITE = "https://www.voorbeeld-energie.nl"
FORM = {
    "name": "Dirk Jansen",
    "email": "dirk@example.nl",
    "topic": "question",
    "text": "Kan ik mijn termijnbedrag verlagen?",
    "cid": "s-1",
}


def _post(client, path, data):
    return client.post(
        f"/chat/api/demo/{path}", data, content_type="application/json", HTTP_ORIGIN=SITE
    )


def test_on_a_closed_day_the_widget_gets_the_leave_a_message_form(
    client, cast, chat_account, clock
):
    clock(SUNDAY)
    status = client.get("/chat/api/demo/status", HTTP_ORIGIN=SITE).json()
    assert status["open"] is False
    assert status["reason"].startswith("De chat is nu gesloten")
    assert "maandag" in status["reason"]  # when it opens again
    assert status["promise"].startswith("U krijgt uiterlijk")
    # A chat cannot start now: the widget is told to show the form instead.
    refused = _post(client, "start", FORM)
    assert refused.status_code == 409 and refused.json()["offline"] is True
    assert not Ticket.objects.exists()
    left = _post(client, "bericht", FORM)
    assert left.status_code == 201
    ticket = Ticket.objects.get(pk=left.json()["ticket"])
    assert ticket.channel == "webform"
    assert left.json()["promise"].startswith("U krijgt uiterlijk")


def test_in_english_on_a_closed_day(client, cast, chat_account, clock):
    clock(SUNDAY)
    status = client.get("/chat/api/demo/status?lang=en", HTTP_ORIGIN=SITE).json()
    assert status["reason"].startswith("Chat is closed now (outside opening hours).")
    assert "buiten" not in status["reason"]  # the calendar's reason in English too
    assert status["promise"].startswith("You will have our answer no later than Monday")


def test_while_open_the_chat_starts(client, cast, chat_account, clock):
    clock(TUESDAY_MORNING)
    assert client.get("/chat/api/demo/status", HTTP_ORIGIN=SITE).json()["open"] is True
    assert _post(client, "start", FORM).status_code == 201


def test_while_open_but_nobody_is_online_the_widget_gets_the_form_with_the_promise(
    client, cast, chat_account, clock
):
    from balie.routing.actions import set_presence

    clock(TUESDAY_MORNING)
    for agent in (cast.anna, cast.bram):
        set_presence(agent, "offline")
    status = client.get("/chat/api/demo/status", HTTP_ORIGIN=SITE).json()
    assert status["open"] is False
    assert status["reason"] == "Er is nu niemand beschikbaar om te chatten."
    assert status["promise"].startswith("U krijgt uiterlijk dinsdag 2 juni")
    refused = _post(client, "start", FORM)
    assert refused.status_code == 409 and refused.json()["offline"] is True
    left = _post(client, "bericht", FORM)
    assert left.status_code == 201 and left.json()["promise"].startswith("U krijgt uiterlijk")
