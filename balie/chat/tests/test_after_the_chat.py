"""A chat after its end: answers go by e-mail to the address given, and the customer's reply to
that mail continues the same ticket; what the visitor typed stays an unverified claim."""

from __future__ import annotations

import pytest

from balie.accounts.models import Agent
from balie.chat import actions
from balie.tickets.models import Direction, Message


@pytest.fixture
def end_and_answer(django_capture_on_commit_callbacks):
    def run(session, text):
        agent = Agent.objects.get(display_name__startswith="Anna")
        with django_capture_on_commit_callbacks(execute=True):
            actions.end_chat(session, reason="visitor")
        with django_capture_on_commit_callbacks(execute=True):
            actions.agent_reply(session, by=agent, text=text)

    return run


def test_after_the_chat_ended_an_answer_goes_by_email(started, mailoutbox, end_and_answer):
    end_and_answer(started.session, "Nog een aanvulling")
    assert len(mailoutbox) == 1
    mail = mailoutbox[0].message()
    assert mailoutbox[0].to == ["carla@example.nl"]
    assert f"[#{started.session.ticket_id}]" in mail["Subject"]
    assert "Nog een aanvulling" in mail.as_string()


def test_a_message_after_the_end_is_refused_with_its_reason(started):
    actions.end_chat(started.session, reason="agent")
    with pytest.raises(actions.ChatError, match="beëindigd"):
        actions.visitor_message(started.session, client_id="late", text="Hallo?")


def test_the_chat_ticket_keeps_the_customer_number_as_a_claim(started):
    ticket = started.session.ticket
    assert ticket.channel == "chat"
    assert ticket.claims["customer_number"] == "123456"
    assert ticket.claims["topic"] == "meter_reading"
    assert ticket.team.slug != "klantenservice" or ticket.team is not None


def test_the_reply_to_the_mail_after_the_chat_continues_the_same_ticket(
    started, mailoutbox, deliver, end_and_answer
):
    end_and_answer(started.session, "Nog een aanvulling")
    sent = mailoutbox[0].message()
    raw = (
        "From: Carla de Vries <carla@example.nl>\r\n"
        "To: klantenservice@voorbeeld-energie.nl\r\n"
        f"Subject: Re: {sent['Subject']}\r\n"
        f"In-Reply-To: {sent['Message-ID']}\r\n"
        "Message-ID: <antwoord-1@example.nl>\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n\r\n"
        "Dank, dat klopt nu.\r\n"
    ).encode()
    deliver(raw)
    last = Message.objects.filter(direction=Direction.INBOUND).order_by("-id").first()
    assert last.body_text.startswith("Dank, dat klopt nu.")
    assert last.ticket_id == started.session.ticket_id


def test_someone_typing_carlas_customer_number_is_not_linked_to_carla(
    cast, chat_account, django_capture_on_commit_callbacks
):
    """The customer number in the pre-chat form is an unverified claim: a stranger who knows
    Carla's number gets a chat of their own, and nothing of Carla's."""
    from balie.chat import desk
    from balie.core.actors import SYSTEM
    from balie.tickets.actions import create_ticket

    create_ticket(customer=cast.carla, subject="Mijn jaarafrekening", channel="email", by=SYSTEM)
    with django_capture_on_commit_callbacks(execute=True):
        started = actions.start_chat(
            chat_account,
            name="Onbekende",
            email="iemand@example.com",
            text="Wat is mijn saldo?",
            client_id="s-1",
            customer_number=cast.carla.number,
            topic="billing",
        )

    ticket = started.session.ticket
    assert ticket.customer != cast.carla
    assert ticket.claims["customer_number"] == cast.carla.number
    assert not cast.carla.tickets.filter(channel="chat").exists()
    assert desk.beside(started.session)["earlier"] == []  # none of Carla's tickets beside it
