"""E-mail against real servers: an agent's answer goes out over SMTP (aiosmtpd) and the
customer's reply threads back; mailboxes are polled from Dovecot over IMAP."""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import make_msgid

import pytest
from imapclient import IMAPClient

from balie.intake.polling import poll_account
from balie.messaging.connectors import get_connector
from balie.messaging.models import ChannelAccount, OutboxItem, OutboxStatus
from balie.tickets import actions
from balie.tickets.models import DeliveryStatus, Direction, Ticket


def customer_mail(
    subject="Mijn voorschot is te hoog", body="Kunt u mijn voorschot verlagen?", **headers
) -> bytes:
    msg = EmailMessage()
    msg["From"] = "Carla Jansen <carla.jansen@example.nl>"
    msg["To"] = "klantenservice@voorbeeld-energie.nl"
    msg["Subject"] = subject
    msg["Message-ID"] = make_msgid(domain="example.nl")
    for key, value in headers.items():
        msg[key.replace("_", "-")] = value
    msg.set_content(body)
    return bytes(msg)


# --- SMTP -----------------------------------------------------------------------------------


def test_agent_reply_goes_out_over_smtp_and_the_customer_reply_threads_back(
    cast, deliver, smtp_server, django_capture_on_commit_callbacks, settings
):
    deliver(customer_mail())
    ticket = Ticket.objects.get()
    first = ticket.messages.get(direction=Direction.INBOUND)
    (ack,) = smtp_server.wait_for(1)
    assert ack.message["Auto-Submitted"] == "auto-replied"

    answer = "Beste Carla,\n\nUw voorschot is verlaagd naar € 95 per maand – vanaf 1 april.\n"
    with django_capture_on_commit_callbacks(execute=True):
        reply = actions.add_reply(ticket, by=cast.anna, text=answer)

    received = smtp_server.wait_for(2)[1]
    mail = received.message
    assert received.rcpt_tos == ["carla.jansen@example.nl"]
    assert mail["From"] == f"{settings.BALIE_COMPANY_NAME} <klantenservice@voorbeeld-energie.nl>"
    assert mail["To"] == "carla.jansen@example.nl"
    assert mail["Subject"] == f"Re: Mijn voorschot is te hoog [#{ticket.pk}]"
    assert mail["Message-ID"] == f"<{reply.message_id}>"
    assert mail["In-Reply-To"].strip("<>") == reply.in_reply_to
    assert f"<{first.message_id}>" in mail["References"]
    assert mail["X-Balie-Instance"] == settings.BALIE_INSTANCE_ID
    assert mail["X-Balie-Ticket"] == str(ticket.pk)
    assert mail["Auto-Submitted"] is None  # a person wrote this one
    assert mail["Content-Language"] == "nl"
    assert mail.get_body(("plain",)).get_content().replace("\r\n", "\n").strip() == answer.strip()
    reply.refresh_from_db()
    assert reply.delivery_status == DeliveryStatus.SENT
    assert OutboxItem.objects.get(message=reply).provider_id == reply.message_id

    # The customer answers from their mail client, quoting our mail.
    quoted = "\n".join(f"> {line}" for line in answer.splitlines())
    deliver(
        customer_mail(
            subject=mail["Subject"].replace("Re:", "Antw:"),
            body=f"Dank u wel!\n\nOp 3 maart 2025 om 10:00 schreef Voorbeeld Energie:\n{quoted}\n",
            In_Reply_To=mail["Message-ID"],
            References=mail["References"] + " " + mail["Message-ID"],
        )
    )
    assert Ticket.objects.count() == 1
    back = ticket.messages.filter(direction=Direction.INBOUND).order_by("id").last()
    assert back.body_text == "Dank u wel!"
    assert back.thread_reason == f"In-Reply-To <{reply.message_id}>"


def test_html_answer_with_attachment_is_multipart(cast, deliver, smtp_server):
    deliver(customer_mail())
    ticket = Ticket.objects.get()
    connector = get_connector("email")
    from balie.messaging.connectors.base import OutboundAttachment, OutboundMessage, Party

    delivery = connector.send(
        OutboundMessage(
            channel="email",
            ticket_number=ticket.pk,
            to=(Party("email", "carla.jansen@example.nl", "Carla Jansen"),),
            cc=(Party("email", "partner@example.nl"),),
            subject=f"Re: Uw nota [#{ticket.pk}]",
            text="Zie de nota in de bijlage.",
            html="<p>Zie de <b>nota</b> in de bijlage.</p>",
            message_id="balie.1.abc@voorbeeld-energie.nl",
            attachments=(OutboundAttachment("nota.pdf", "application/pdf", b"%PDF-1.4 nota"),),
        ),
        None,
    )

    assert delivery.ok and delivery.provider_id == "balie.1.abc@voorbeeld-energie.nl"
    mail = smtp_server.wait_for(2)[-1]
    assert sorted(mail.rcpt_tos) == ["carla.jansen@example.nl", "partner@example.nl"]
    message = mail.message
    assert message.get_content_type() == "multipart/mixed"
    assert message.get_body(("html",)).get_content().strip() == (
        "<p>Zie de <b>nota</b> in de bijlage.</p>"
    )
    (attachment,) = list(message.iter_attachments())
    assert attachment.get_filename() == "nota.pdf"
    assert attachment.get_content() == b"%PDF-1.4 nota"


def test_an_answer_with_a_name_and_subject_outside_ascii_arrives_as_written(
    cast, deliver, smtp_server
):
    deliver(customer_mail())
    ticket = Ticket.objects.get()
    from balie.messaging.connectors.base import OutboundMessage, Party

    subject = f"Re: Uw nota für José – € 95 [#{ticket.pk}]"
    delivery = get_connector("email").send(
        OutboundMessage(
            channel="email",
            ticket_number=ticket.pk,
            to=(Party("email", "jose.muller@example.nl", "José Müller"),),
            cc=(Party("email", "partner@example.nl", "Jansen, Piet"),),
            subject=subject,
            text="Beste José,\n\nUw voorschot is € 95 per maand.\n",
            message_id="balie.2.def@voorbeeld-energie.nl",
        ),
        None,
    )

    assert delivery.ok
    mail = smtp_server.wait_for(2)[-1]
    message = mail.message
    assert message["Subject"] == subject
    assert message["To"].addresses[0].display_name == "José Müller"
    assert message["To"].addresses[0].addr_spec == "jose.muller@example.nl"
    assert message["Cc"].addresses[0].display_name == "Jansen, Piet"
    assert message.get_content().replace("\r\n", "\n") == (
        "Beste José,\n\nUw voorschot is € 95 per maand.\n"
    )
    # Every header line travels as ASCII (the words outside it encoded, RFC 2047).
    head = bytes(message).split(b"\n\n", 1)[0]
    assert head.isascii()


def test_mailbox_with_its_own_smtp_server_and_a_permanent_refusal(
    cast, deliver, smtp_server, settings, django_capture_on_commit_callbacks
):
    settings.EMAIL_PORT = 9  # Django's settings are not used for this mailbox
    account = ChannelAccount.objects.create(
        kind="email",
        name="Klantenservice",
        address="klantenservice@voorbeeld-energie.nl",
        team=cast.klantenservice,
        config={"smtp_host": smtp_server.host, "smtp_port": smtp_server.port},
    )
    smtp_server.refuse["carla.jansen@example.nl"] = (550, "5.1.1 mailbox unavailable")
    deliver(customer_mail(), account=account)
    ticket = Ticket.objects.get()
    assert ticket.account == account

    with django_capture_on_commit_callbacks(execute=True):
        reply = actions.add_reply(ticket, by=cast.anna, text="Wij bellen u morgen.")

    item = OutboxItem.objects.get(message=reply)
    assert item.status == OutboxStatus.FAILED  # 5xx: not retried
    assert "550" in item.last_error
    reply.refresh_from_db()
    assert reply.delivery_status == DeliveryStatus.FAILED

    del smtp_server.refuse["carla.jansen@example.nl"]
    with django_capture_on_commit_callbacks(execute=True):
        actions.add_reply(ticket, by=cast.anna, text="Tweede poging.")
    assert (
        smtp_server.wait_for(1)[-1]
        .message["From"]
        .endswith("<klantenservice@voorbeeld-energie.nl>")
    )


def test_unreachable_smtp_server_is_retried_later(cast, deliver, settings):
    from balie.messaging.connectors.email.sending import send_email
    from balie.messaging.tests.mailservers import free_port

    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", free_port()
    from balie.messaging.connectors.base import OutboundMessage, Party

    delivery = send_email(
        OutboundMessage(
            channel="email",
            ticket_number=1,
            to=(Party("email", "carla.jansen@example.nl"),),
            subject="x",
            text="y",
        ),
        None,
    )
    assert not delivery.ok and delivery.retry and "Connection" in delivery.error


# --- IMAP -----------------------------------------------------------------------------------


@pytest.mark.slow
def test_polling_dovecot_opens_tickets_once_and_marks_mail_seen(
    cast, dovecot, django_capture_on_commit_callbacks
):
    account = ChannelAccount.objects.create(
        kind="email",
        name="Storingen",
        address="storingen@voorbeeld-energie.nl",
        team=cast.techniek,
        config=dovecot.account_config(),
    )
    dovecot.deliver(customer_mail(subject="Geen stroom sinds vanmorgen"))
    dovecot.deliver(customer_mail(subject="Meterstand doorgeven", body="Stand: 12345"))
    with django_capture_on_commit_callbacks(execute=True):
        assert poll_account(account) == 2

    tickets = Ticket.objects.order_by("id")
    assert [t.subject for t in tickets] == ["Geen stroom sinds vanmorgen", "Meterstand doorgeven"]
    assert {t.team for t in tickets} == {cast.techniek}  # the mailbox's team
    assert {t.account for t in tickets} == {account}
    account.refresh_from_db()
    assert account.last_error == "" and account.last_polled_at is not None
    assert account.config["imap_last_uid"] == 2 and account.config["imap_uidvalidity"]
    with IMAPClient(dovecot.host, port=dovecot.port, ssl=False) as client:
        client.login(dovecot.user, dovecot.password)
        client.select_folder("INBOX")
        assert client.search(["UNSEEN"]) == []

    # A second poll creates nothing twice; a new mail is picked up alone.
    with django_capture_on_commit_callbacks(execute=True):
        assert poll_account(account) == 0
    dovecot.deliver(customer_mail(subject="Nog een vraag"))
    with django_capture_on_commit_callbacks(execute=True):
        assert poll_account(account) == 1
    assert Ticket.objects.count() == 3

    # The server renumbered the folder: start over from the unseen mail, nothing doubles.
    account.refresh_from_db()
    account.config["imap_uidvalidity"] = 1
    with django_capture_on_commit_callbacks(execute=True):
        assert poll_account(account) == 0
    account.refresh_from_db()
    assert account.config["imap_last_uid"] == 3
    assert Ticket.objects.count() == 3


@pytest.mark.slow
def test_wrong_imap_password_is_recorded_on_the_account(cast, dovecot):
    account = ChannelAccount.objects.create(
        kind="email",
        name="Klantenservice",
        address="klantenservice@voorbeeld-energie.nl",
        config={**dovecot.account_config(), "imap_password": "", "imap_password_env": "GEEN_VAR"},
    )

    assert poll_account(account) == 0

    account.refresh_from_db()
    assert "aanmelden mislukt" in account.last_error
    assert Ticket.objects.count() == 0


def test_the_acknowledgements_of_a_burst_go_out_together_and_each_is_recorded(
    cast, smtp_server, django_capture_on_commit_callbacks
):
    from balie.intake import pipeline as ingest
    from balie.messaging import outbox
    from balie.tickets.models import Activity

    smtp_server.refuse["klant2@example.nl"] = (550, "5.1.1 Onbekende gebruiker")
    envelopes = []
    for i in range(4):
        with django_capture_on_commit_callbacks(execute=False):
            envelope, _created = ingest.receive(
                channel="email",
                raw=customer_mail(subject=f"Vraag {i}").replace(
                    b"carla.jansen@example.nl", f"klant{i}@example.nl".encode()
                ),
            )
        envelopes.append(envelope)

    with django_capture_on_commit_callbacks(execute=True):  # the outbox task runs eagerly
        ingest.process_waiting(envelopes[0].pk, limit=10)

    received = smtp_server.wait_for(3)
    assert sorted(r.rcpt_tos[0] for r in received) == [
        "klant0@example.nl",
        "klant1@example.nl",
        "klant3@example.nl",
    ]
    for i in range(4):
        ticket = Ticket.objects.get(subject=f"Vraag {i}")
        ack = ticket.messages.get(direction=Direction.OUTBOUND)
        item = OutboxItem.objects.get(message=ack)
        updates = Activity.objects.filter(ticket=ticket, kind="message.delivery_updated")
        if i == 2:
            assert item.status == OutboxStatus.FAILED and "Onbekende gebruiker" in item.last_error
            assert ack.delivery_status == DeliveryStatus.FAILED
        else:
            assert item.status == OutboxStatus.SENT and item.sent_at is not None
            assert ack.delivery_status == DeliveryStatus.SENT
            assert any(f"[#{ticket.pk}]" in r.message["Subject"] for r in received)
        assert updates.count() == 1

    # A task delivered twice (a worker lost after sending) sends nothing again.
    outbox.deliver_many(list(OutboxItem.objects.values_list("pk", flat=True)))
    assert len(smtp_server.wait_for(4, timeout=0.5)) == 3
