"""Real mails through the whole pipeline: tickets opened or not, bounces filed in the ticket
whose mail bounced, attachments stored or refused on the message."""

from __future__ import annotations

from email.message import EmailMessage
from pathlib import Path

from django.conf import settings

from balie.core.actors import SYSTEM
from balie.customers.actions import create_customer
from balie.messaging.models import EnvelopeStatus
from balie.tickets import actions
from balie.tickets.models import DeliveryStatus, Direction, Message, Ticket

FIXTURES = Path(__file__).parents[2] / "messaging" / "tests" / "fixtures" / "email"


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def ticket_with_sent_mail(deliver, *, customer_address: str, message_id: str) -> tuple:
    """A ticket of `customer_address` with an answer of ours whose Message-ID is given."""
    msg = EmailMessage()
    msg["From"] = customer_address
    msg["To"] = "klantenservice@voorbeeld-energie.nl"
    msg["Subject"] = "Vraag over mijn nota"
    msg.set_content("Klopt mijn nota?")
    deliver(bytes(msg))
    ticket = Ticket.objects.get(customer__identities__value=customer_address)
    sent = actions.add_reply(ticket, by=SYSTEM, text="Ja, uw nota klopt.")
    Message.objects.filter(pk=sent.pk).update(message_id=message_id)
    sent.refresh_from_db()
    return ticket, sent


def test_dutch_reply_opens_a_ticket_showing_only_the_new_text(cast, deliver, mailoutbox):
    envelope = deliver(fixture("discourse_dutch_reply_op-schreef.eml"))

    assert envelope.status == EnvelopeStatus.PROCESSED
    ticket = Ticket.objects.get()
    assert ticket.subject == "Re: [Discourse] new reply to your post in 'Crystal Blue'"
    message = ticket.messages.get(direction=Direction.INBOUND)
    assert message.sender_address == "walter.white@googlemail.com"
    assert message.sender_name == "Walter White"
    assert message.body_text == "Dit is een antwoord in het Nederlands."
    assert "Dit is de originele post." in message.full_text
    # The customer is told the ticket number, by e-mail, at once.
    (ack,) = mailoutbox
    assert f"[#{ticket.pk}]" in ack.message()["Subject"]
    assert ack.message()["Auto-Submitted"] == "auto-replied"


def test_attachment_is_stored_with_the_message(cast, deliver):
    deliver(fixture("zammad_mail026_de_invoice_with_attachment.eml"))

    message = Message.objects.get(direction=Direction.INBOUND)
    (attachment,) = message.attachments.all()
    assert attachment.filename == "invoice_gatede_B181347.txt"
    with attachment.file.open("rb") as fh:
        assert fh.read() == b"some text"


def test_oversized_attachment_is_refused_and_recorded_on_the_message(cast, deliver, settings):
    settings.BALIE_ATTACHMENT_MAX_BYTES = 2000
    msg = EmailMessage()
    msg["From"] = "Carla Jansen <carla.jansen@example.nl>"
    msg["Subject"] = "Foto van de meter"
    msg.set_content("Zie de foto.")
    msg.add_attachment(b"\xff" * 10_000, maintype="image", subtype="jpeg", filename="meter.jpg")
    deliver(bytes(msg))

    message = Message.objects.get(direction=Direction.INBOUND)
    assert message.attachments.count() == 0
    (refused,) = message.refused_attachments
    assert refused["filename"] == "meter.jpg" and refused["size"] == 10_000
    assert "te groot" in refused["reason"]


def test_postfix_bounce_is_filed_in_the_ticket_whose_mail_bounced(cast, deliver):
    ticket, sent = ticket_with_sent_mail(
        deliver,
        customer_address="not_existing@znuny.com",
        message_id="20150830145601.30.608881@edenhofer.zammad.com",
    )

    envelope = deliver(fixture("zammad_mail033_postfix_bounce_dsn_multipart-report.eml"))

    assert Ticket.objects.count() == 1
    note = ticket.messages.get(direction=Direction.SYSTEM)
    assert note.body_text.startswith("Onbestelbaar")
    assert "User unknown" in note.body_text
    sent.refresh_from_db()
    assert sent.delivery_status == DeliveryStatus.BOUNCED
    assert "5.1.1" in sent.delivery_error
    assert f"#{ticket.pk}" in envelope.reason


def test_delay_notice_is_filed_but_the_mail_is_not_marked_bounced(cast, deliver):
    ticket, sent = ticket_with_sent_mail(
        deliver,
        customer_address="bob.smith@example.de",
        message_id="20150830145601.30.608881@example.com",
    )

    deliver(fixture("zammad_mail078_gmail_dsn_delay.eml"))

    note = ticket.messages.get(direction=Direction.SYSTEM)
    assert note.body_text.startswith("Vertraagd")
    sent.refresh_from_db()
    assert sent.delivery_status != DeliveryStatus.BOUNCED


def test_gmail_bounce_about_a_mail_that_is_not_ours_opens_nothing(cast, deliver):
    envelope = deliver(fixture("chatwoot_bounced_gmail_dsn.eml"))

    assert envelope.status == EnvelopeStatus.SKIPPED
    assert "niet van ons" in envelope.reason
    assert Ticket.objects.count() == 0


def test_auto_reply_and_machine_notifications_never_open_a_ticket(cast, deliver, mailoutbox):
    for name in (
        "chatwoot_auto-reply_x-autoreply_auto-submitted_precedence.eml",
        "zammad_mail089_servicenow_auto-submitted_precedence-bulk.eml",
    ):
        envelope = deliver(fixture(name))
        assert envelope.status == EnvelopeStatus.SKIPPED
        assert "automatisch bericht" in envelope.reason
    assert Ticket.objects.count() == 0
    assert mailoutbox == []  # and nobody gets an acknowledgement


def test_read_receipt_is_filed_quietly_in_the_ticket_it_is_about(cast, deliver):
    customer = create_customer(
        name="Joe", identities=[("email", "joe_recipient@example.com")], by=SYSTEM
    )
    ticket, _sent = ticket_with_sent_mail(
        deliver,
        customer_address="joe_recipient@example.com",
        message_id="199509192301.23456@example.org",
    )
    assert ticket.customer == customer
    status_before = ticket.status

    deliver(fixture("flanker_disposition-notification_read-receipt.eml"))

    receipt = ticket.messages.get(direction=Direction.SYSTEM)
    assert receipt.is_automatic and "has been displayed" in receipt.body_text
    ticket.refresh_from_db()
    assert ticket.status == status_before


def test_reply_in_a_customer_thread_threads_by_in_reply_to(cast, deliver):
    ticket, sent = ticket_with_sent_mail(
        deliver,
        customer_address="marc.smith@example.com",
        message_id="20120507061007.259.822311@portal.znuny.com",
    )

    deliver(fixture("zammad_mail005_thunderbird_de_reply_am-schrieb_quoted.eml"))

    assert Ticket.objects.count() == 1
    reply = ticket.messages.get(message_id="4FA76F9A.3060602@example.com")
    assert reply.thread_reason == f"In-Reply-To <{sent.message_id}>"
    assert reply.body_text.startswith("Hallo Martin,")


def test_our_own_mail_coming_back_is_a_loop(cast, deliver):
    msg = EmailMessage()
    msg["From"] = "iemand@example.nl"
    msg["Subject"] = "Doorgestuurd"
    msg["X-Balie-Instance"] = settings.BALIE_INSTANCE_ID
    msg.set_content("tekst")

    envelope = deliver(bytes(msg))

    assert envelope.status == EnvelopeStatus.SKIPPED and "lus" in envelope.reason
    assert Ticket.objects.count() == 0


def test_mail_without_sender_is_quarantined(cast, deliver):
    envelope = deliver(fixture("flanker_attached-pdf.eml"))

    assert envelope.status == EnvelopeStatus.FAILED
    assert "From" in envelope.quarantine.get().reason
