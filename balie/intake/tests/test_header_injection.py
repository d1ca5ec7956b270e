"""A CR/LF in a subject: an encoded subject that decodes to several lines was once stored raw,
and the acknowledgement and the agent's reply then failed for an hour and were never sent.
Headers are unfolded and stripped of control characters when a mail is read, outgoing
headers are built safely, and a send that can never succeed fails at once with its reason."""

from __future__ import annotations

import base64

from balie.core.actors import SYSTEM
from balie.messaging.models import OutboxItem, OutboxStatus
from balie.tickets import actions
from balie.tickets.models import DeliveryStatus, Direction, Ticket
from balie.tickets.tests.factories import TicketFactory


def encoded(text: str) -> str:
    return "=?utf-8?B?" + base64.b64encode(text.encode()).decode() + "?="


def test_a_subject_with_encoded_cr_lf_is_stored_on_one_line_and_answered(cast, deliver, mailoutbox):
    injected = "Storing\r\nBcc: iedereen@example.org\r\n\x00\x1b[31mdringend"
    raw = (
        "From: =?utf-8?B?{name}?= <carla.jansen@example.nl>\r\n"
        "To: klantenservice@voorbeeld-energie.nl\r\n"
        "Subject: {subject}\r\n"
        "Message-ID: <crlf-1@example.nl>\r\n"
        "\r\n"
        "Mijn stroom is uitgevallen.\r\n"
    ).format(name=base64.b64encode(b"Carla\r\nJansen").decode(), subject=encoded(injected))

    deliver(raw.encode())

    ticket = Ticket.objects.get()
    assert ticket.subject == "Storing Bcc: iedereen@example.org [31mdringend"
    message = ticket.messages.get(direction=Direction.INBOUND)
    assert message.sender_name == "Carla Jansen"
    (ack,) = mailoutbox
    sent = ack.message()
    assert sent["Subject"].startswith("Re: Storing Bcc: iedereen@example.org")
    assert sent["Bcc"] is None
    assert ack.recipients() == ["carla.jansen@example.nl"]
    reply = ticket.messages.get(direction=Direction.OUTBOUND)
    assert reply.delivery_status == DeliveryStatus.SENT


def test_a_subject_stored_raw_before_does_not_stop_the_agents_reply(
    cast, mailoutbox, django_capture_on_commit_callbacks
):
    ticket = TicketFactory(customer=cast.carla, subject="Factuur\r\nBcc: x@example.org\n te hoog")

    with django_capture_on_commit_callbacks(execute=True):
        reply = actions.add_reply(ticket, by=cast.anna, text="We kijken ernaar.")

    reply.refresh_from_db()
    assert reply.delivery_status == DeliveryStatus.SENT
    (mail,) = mailoutbox
    assert mail.message()["Subject"] == f"Re: Factuur Bcc: x@example.org te hoog [#{ticket.pk}]"
    assert mail.recipients() == [cast.carla_email]


def test_a_send_that_can_never_succeed_fails_at_once_with_its_reason(
    cast, mailoutbox, django_capture_on_commit_callbacks
):
    ticket = TicketFactory(customer=cast.carla)
    with django_capture_on_commit_callbacks(execute=True):
        reply = actions.add_reply(
            ticket, by=SYSTEM, text="Uw nota volgt.", cc=["iemand@\r\nexample.org"]
        )

    item = OutboxItem.objects.get(message=reply)
    assert item.status == OutboxStatus.FAILED  # not pending, to be tried again for hours
    assert item.attempts == 1
    reply.refresh_from_db()
    assert reply.delivery_status == DeliveryStatus.FAILED
    assert "iemand@" in reply.delivery_error
    assert mailoutbox == []
