"""The ingestion pipeline: threading, reopening, dedupe, quarantine and rollback."""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import make_msgid

import pytest

from balie.customers.models import Customer
from balie.messaging.models import Envelope, EnvelopeStatus, Quarantine
from balie.tickets import actions
from balie.tickets.models import Activity, Direction, Message, Status, Ticket


def mail(
    *,
    sender="carla.jansen@example.nl",
    subject="Vraag over mijn voorschot",
    body="Mijn voorschot is te hoog.",
    in_reply_to="",
    references="",
    cc="",
    message_id=None,
    headers=None,
) -> bytes:
    msg = EmailMessage()
    msg["From"] = f"Carla Jansen <{sender}>"
    msg["To"] = "klantenservice@voorbeeld-energie.nl"
    if cc:
        msg["Cc"] = cc
    msg["Subject"] = subject
    msg["Message-ID"] = message_id or make_msgid(domain="example.nl")
    if in_reply_to:
        msg["In-Reply-To"] = in_reply_to
    if references:
        msg["References"] = references
    for key, value in (headers or {}).items():
        msg[key] = value
    msg.set_content(body)
    return bytes(msg)


def agent_reply(ticket, agent, text="Wij hebben uw voorschot aangepast."):
    return actions.add_reply(ticket, by=agent, text=text)


def test_new_mail_opens_a_ticket_for_a_new_customer_and_is_acknowledged(cast, deliver, mailoutbox):
    envelope = deliver(mail(sender="nieuw@example.nl", subject="Verhuizing doorgeven"))

    assert envelope.status == EnvelopeStatus.PROCESSED
    ticket = Ticket.objects.get(subject="Verhuizing doorgeven")
    assert ticket.customer.identities.get().value == "nieuw@example.nl"
    assert ticket.team == cast.klantenservice
    assert ticket.status == Status.NEW
    inbound = ticket.messages.get(direction=Direction.INBOUND)
    assert inbound.thread_reason == "nieuw ticket"
    ack = ticket.messages.get(direction=Direction.OUTBOUND)
    assert ack.is_automatic and f"#{ticket.pk}" in ack.body_text


def test_reply_threads_by_in_reply_to_of_our_own_mail(cast, deliver):
    deliver(mail())
    ticket = Ticket.objects.get()
    sent = agent_reply(ticket, cast.anna)

    deliver(mail(subject="Re: iets heel anders", in_reply_to=f"<{sent.message_id}>"))

    assert Ticket.objects.count() == 1
    last = ticket.messages.filter(direction=Direction.INBOUND).last()
    assert last.thread_reason == f"In-Reply-To <{sent.message_id}>"


def test_reply_threads_by_any_id_in_the_references_chain(cast, deliver):
    first_id = make_msgid(domain="example.nl")
    deliver(mail(message_id=first_id))
    ticket = Ticket.objects.get()

    deliver(
        mail(
            subject="Nog een vraag",
            references=f"<unknown@elsewhere> {first_id}",
            in_reply_to="<unknown@elsewhere>",
        )
    )

    assert Ticket.objects.count() == 1
    assert (
        ticket.messages.filter(direction=Direction.INBOUND).last().thread_reason
        == f"References {first_id}"
    )


@pytest.mark.parametrize("prefix", ["Re:", "Antw:", "Fwd:", "Doorst:", "WG:", "AW:", "RE: FW:"])
def test_ticket_number_in_subject_threads_with_any_prefix(cast, deliver, prefix):
    deliver(mail())
    ticket = Ticket.objects.get()

    deliver(mail(subject=f"{prefix} Vraag over mijn voorschot [#{ticket.pk}]"))

    assert Ticket.objects.count() == 1
    assert (
        f"[#{ticket.pk}]"
        in ticket.messages.filter(direction=Direction.INBOUND).last().thread_reason
    )


def test_stranger_with_matching_ticket_number_gets_a_new_ticket(cast, deliver):
    deliver(mail())
    ticket = Ticket.objects.get()
    sent = agent_reply(ticket, cast.anna)

    deliver(
        mail(
            sender="vreemde@example.com",
            subject=f"Re: [#{ticket.pk}]",
            in_reply_to=f"<{sent.message_id}>",
        )
    )

    assert Ticket.objects.count() == 2
    other = Ticket.objects.exclude(pk=ticket.pk).get()
    assert other.customer != ticket.customer
    reason = other.messages.get(direction=Direction.INBOUND).thread_reason
    assert "geen deelnemer" in reason and "nieuw ticket" in reason
    assert ticket.messages.filter(sender_address="vreemde@example.com").count() == 0


def test_cc_of_the_conversation_may_reply(cast, deliver):
    deliver(mail(cc="Partner <partner@example.nl>"))
    ticket = Ticket.objects.get()

    deliver(mail(sender="partner@example.nl", subject=f"Re: [#{ticket.pk}]"))

    assert Ticket.objects.count() == 1
    assert ticket.messages.filter(sender_address="partner@example.nl").exists()


def test_reply_reopens_a_solved_ticket(cast, deliver):
    deliver(mail())
    ticket = Ticket.objects.get()
    sent = agent_reply(ticket, cast.anna)
    actions.update_ticket(ticket, by=cast.anna, status=Status.SOLVED)

    deliver(mail(subject="Re: voorschot", in_reply_to=f"<{sent.message_id}>"))

    ticket.refresh_from_db()
    assert ticket.status == Status.OPEN
    assert Activity.objects.filter(ticket=ticket, kind="ticket.reopened").exists()


def test_repeated_delivery_creates_nothing_twice(cast, deliver):
    raw = mail()
    deliver(raw)
    again = deliver(raw)

    assert Envelope.objects.count() == 1 and again.status == EnvelopeStatus.PROCESSED
    assert Ticket.objects.count() == 1
    assert Message.objects.filter(direction=Direction.INBOUND).count() == 1


def test_same_message_id_through_another_path_is_dropped(cast, deliver):
    message_id = make_msgid(domain="example.nl")
    deliver(mail(message_id=message_id))
    second = deliver(mail(message_id=message_id, body="andere bytes, zelfde bericht"))

    assert second.status == EnvelopeStatus.SKIPPED and "dubbel" in second.reason
    assert Ticket.objects.count() == 1


def test_unparseable_input_is_quarantined_with_its_reason(cast, deliver):
    envelope = deliver(b"dit is geen e-mail", channel="email")

    assert envelope.status == EnvelopeStatus.FAILED
    item = Quarantine.objects.get()
    assert bytes(item.raw) == b"dit is geen e-mail"
    assert "From" in item.reason
    assert Ticket.objects.count() == 0


def test_failure_midway_leaves_nothing_half_written(cast, deliver, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("schijf vol")

    # The message row is built after the customer and the ticket were written.
    monkeypatch.setattr(actions.filing, "inbound_message_row", broken)
    envelope = deliver(mail(sender="nieuw@example.nl"))

    assert envelope.status == EnvelopeStatus.FAILED and "schijf vol" in envelope.reason
    assert Ticket.objects.count() == 0
    assert not Customer.objects.filter(identities__value="nieuw@example.nl").exists()
    assert not Activity.objects.exists()
    assert Quarantine.objects.get().envelope == envelope


def test_auto_reply_never_opens_a_ticket(cast, deliver):
    envelope = deliver(mail(sender="nieuw@example.nl", headers={"Auto-Submitted": "auto-replied"}))

    assert envelope.status == EnvelopeStatus.SKIPPED
    assert Ticket.objects.count() == 0


def test_reply_to_a_recently_closed_ticket_reopens_it(cast, deliver):
    deliver(mail())
    ticket = Ticket.objects.get()
    sent = agent_reply(ticket, cast.anna)
    actions.update_ticket(ticket, by=cast.anna, status=Status.CLOSED)

    deliver(mail(subject="Re: voorschot", in_reply_to=f"<{sent.message_id}>"))

    ticket.refresh_from_db()
    assert Ticket.objects.count() == 1
    assert ticket.status == Status.OPEN and ticket.closed_at is None


def test_reply_to_a_long_closed_ticket_opens_a_linked_new_one(cast, deliver):
    from datetime import timedelta

    from django.utils import timezone

    deliver(mail())
    ticket = Ticket.objects.get()
    sent = agent_reply(ticket, cast.anna)
    actions.update_ticket(ticket, by=cast.anna, status=Status.CLOSED)
    Ticket.objects.filter(pk=ticket.pk).update(closed_at=timezone.now() - timedelta(days=120))

    deliver(
        mail(
            subject="Re: voorschot", in_reply_to=f"<{sent.message_id}>", body="Het klopt weer niet."
        )
    )

    follow_up = Ticket.objects.exclude(pk=ticket.pk).get()
    assert follow_up.linked_to == ticket
    assert follow_up.customer == ticket.customer
    assert (
        "nieuw ticket als vervolg"
        in follow_up.messages.get(direction=Direction.INBOUND).thread_reason
    )
    ticket.refresh_from_db()
    assert ticket.status == Status.CLOSED


def test_answer_goes_to_the_reply_to_address(cast, deliver):
    deliver(mail(headers={"Reply-To": "Carla thuis <carla.thuis@example.nl>"}))
    ticket = Ticket.objects.get()

    sent = agent_reply(ticket, cast.anna)

    assert sent.recipients["to"] == ["carla.thuis@example.nl"]


def test_messages_are_ordered_by_arrival_not_by_the_senders_clock(cast, deliver):
    deliver(mail())
    ticket = Ticket.objects.get()
    deliver(
        mail(
            subject=f"Re: [#{ticket.pk}]",
            body="Tweede bericht",
            headers={"Date": "Mon, 7 May 2012 08:10:00 +0200"},
        )
    )

    texts = [m.body_text.strip() for m in ticket.messages.filter(direction=Direction.INBOUND)]
    assert texts == ["Mijn voorschot is te hoog.", "Tweede bericht"]


def test_reply_wakes_a_ticket_on_hold(cast, deliver):
    deliver(mail())
    ticket = Ticket.objects.get()
    actions.update_ticket(ticket, by=cast.anna, status=Status.ON_HOLD)

    deliver(mail(subject=f"Re: [#{ticket.pk}]", body="Is er al nieuws?"))

    ticket.refresh_from_db()
    assert ticket.status == Status.OPEN


@pytest.mark.parametrize(
    "subject",
    [
        "Afwezig: Vraag over mijn voorschot",
        "Automatisch antwoord: Vraag over mijn voorschot",
        "Out of Office: Vraag over mijn voorschot",
        "Out of office",
        "Abwesenheitsnotiz: Vraag über meinen Abschlag",
        "Automatische Antwort: Ihre Anfrage",
        "Réponse automatique : votre demande",
        "Automatic reply: Your question",
        "Niet aanwezig: Vraag over mijn voorschot",
        # tagged by the sender's mail gateway
        "[EXTERN] Automatisch antwoord: Vraag over mijn voorschot",
        "*EXTERNAL* Out of Office: Your question",
        # Outlook's "Automatic reply" in the sender's own language
        "Autosvar: Vraag over mijn voorschot",
        "Respuesta automática: Vraag over mijn voorschot",
        "Risposta automatica: Vraag over mijn voorschot",
        "Resposta automática: Vraag over mijn voorschot",
        "Automatyczna odpowiedź: Vraag over mijn voorschot",
        "Otomatik yanıt: Vraag over mijn voorschot",
        "Automaattinen vastaus: Vraag over mijn voorschot",
        "Automatische Abwesenheitsnotiz",
        "Niet op kantoor: Vraag over mijn voorschot",
        "Außer Haus: Ihre Anfrage",
        "Fuera de la oficina: Vraag over mijn voorschot",
    ],
)
def test_an_out_of_office_known_only_by_its_subject_opens_nothing_and_gets_no_answer(
    cast, deliver, mailoutbox, subject
):
    envelope = deliver(mail(subject=subject, body="Ik ben tot 12 januari afwezig."))

    assert envelope.status == EnvelopeStatus.SKIPPED
    assert "automatisch bericht" in envelope.reason
    assert Ticket.objects.count() == 0
    assert not Message.objects.filter(direction=Direction.OUTBOUND).exists()
    assert mailoutbox == []


@pytest.mark.parametrize(
    "subject",
    [
        "Afwezigheid doorgeven",
        "Vakantieadres",
        "Automatische incasso gestopt",
        "[EXTERN] Afwezigheid doorgeven",
        "Niet op kantoor bereikbaar, bel mij terug",
    ],
)
def test_a_customer_writing_about_absence_still_opens_a_ticket(cast, deliver, subject):
    deliver(mail(subject=subject))

    assert Ticket.objects.get().subject == subject


def test_the_acknowledgement_quotes_only_the_start_and_signs_off_once(cast, deliver):
    body = (
        "Goedemiddag,\n\nMijn voorschot is sinds de jaarafrekening veel te hoog. "
        + "Ik betaal nu 240 euro per maand terwijl mijn verbruik gelijk bleef. " * 8
        + "\n\nMet vriendelijke groet,\nCarla Jansen"
    )

    deliver(mail(body=body))

    ack = Message.objects.get(direction=Direction.OUTBOUND)
    assert "Mijn voorschot is sinds de jaarafrekening veel te hoog" in ack.body_text
    assert ack.body_text.count("Carla Jansen") == 1  # "Beste Carla Jansen,", not her sign-off
    assert ack.body_text.count("Met vriendelijke groet") == 1
    assert ack.body_text.count("terwijl mijn verbruik gelijk bleef") <= 1  # an excerpt


def test_an_english_mail_gets_an_english_acknowledgement(cast, deliver):
    deliver(
        mail(
            sender="john.smith@example.com",
            subject="Question about my bill",
            body="Hello, my monthly payment went up a lot this year. Could you please check it?",
        )
    )

    ticket = Ticket.objects.get()
    assert ticket.language == "en"
    assert ticket.customer.language == "en"
    ack = ticket.messages.get(direction=Direction.OUTBOUND)
    assert "Thank you for your message" in ack.body_text
    assert "Bedankt" not in ack.body_text


def test_a_known_customer_writing_english_is_answered_in_english(cast, deliver):
    deliver(
        mail(
            subject="Moving house",
            body="Good morning, I am moving to Utrecht on the first of March. What do I need to do?",
        )
    )

    ack = Message.objects.get(direction=Direction.OUTBOUND)
    assert "Thank you for your message" in ack.body_text


def test_a_german_mail_is_answered_in_english_while_balie_has_no_german_texts(
    cast, deliver, mailoutbox
):
    deliver(
        mail(
            sender="hans.mueller@example.de",
            subject="Frage zu meiner Rechnung",
            body="Guten Tag, meine Rechnung ist seit diesem Monat viel zu hoch. Bitte prüfen Sie das.",
        )
    )

    ticket = Ticket.objects.get()
    assert ticket.language == "de"
    assert (
        "Thank you for your message" in ticket.messages.get(direction=Direction.OUTBOUND).body_text
    )
    # and the mail says it is in English, the language it is written in
    (ack,) = mailoutbox
    assert ack.message()["Content-Language"] == "en"


def test_a_dutch_mail_is_still_answered_in_dutch(cast, deliver):
    deliver(
        mail(
            sender="nieuw@example.nl", body="Goedemiddag, mijn voorschot is veel te hoog geworden."
        )
    )

    ack = Message.objects.get(direction=Direction.OUTBOUND)
    assert "Bedankt voor uw bericht" in ack.body_text


def test_a_new_mail_that_routing_assigns_is_acknowledged_once(cast, deliver, mailoutbox):
    from balie.routing.actions import set_presence
    from balie.routing.models import PresenceState, RoutingMode, TeamRouting

    TeamRouting.objects.update_or_create(
        team=cast.klantenservice,
        defaults={"routed_channels": ["email"], "mode": RoutingMode.ROUND_ROBIN},
    )
    set_presence(cast.anna, PresenceState.ONLINE)

    deliver(mail(sender="toegewezen@example.nl", subject="Meterstand doorgeven"))

    ticket = Ticket.objects.get(subject="Meterstand doorgeven")
    assert ticket.assignee is not None  # routing changed the new ticket
    acks = ticket.messages.filter(direction=Direction.OUTBOUND, is_automatic=True)
    assert acks.count() == 1
    assert f"#{ticket.pk}" in acks.get().body_text
