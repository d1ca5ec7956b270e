"""Why a message is in its ticket, as the agent reads it on the ticket page: in words ("antwoord
op ons bericht van 2 december 17:13"), in the page's language, with the Message-IDs behind a
toggle. Each reason the intake gives, from real deliveries through the pipeline."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from html import unescape

import pytest
from django.utils import timezone

from balie.intake.agent_filing import log_contact
from balie.intake.tests.test_pipeline import mail
from balie.tickets import actions
from balie.tickets.models import Direction, Message, Status, Ticket


def page_text(client, ticket, language="nl") -> str:
    html = client.get(f"/tickets/{ticket.pk}/", HTTP_ACCEPT_LANGUAGE=language).content.decode()
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html)))


def reasons(client, ticket, language="nl") -> list[str]:
    """The "why threaded" lines of the page, without their technical details."""
    html = client.get(f"/tickets/{ticket.pk}/", HTTP_ACCEPT_LANGUAGE=language).content.decode()
    found = re.findall(r'<div class="thread-reason"><small>(.*?)</small>', html, re.S)
    return [re.sub(r"\s+", " ", unescape(line)).strip() for line in found]


@pytest.fixture
def as_anna(client, cast):
    client.force_login(cast.anna.user)
    return client


def our_answer_at(ticket, agent, moment: datetime) -> Message:
    sent = actions.add_reply(ticket, by=agent, text="Wij hebben uw voorschot aangepast.")
    Message.objects.filter(pk=sent.pk).update(created_at=moment)
    return sent


def test_a_reply_to_our_answer_says_so_with_its_date_and_the_ids_behind_a_toggle(
    cast, deliver, as_anna
):
    deliver(mail())
    ticket = Ticket.objects.get()
    when = datetime(
        timezone.localdate().year, 12, 2, 17, 13, tzinfo=timezone.get_current_timezone()
    )
    sent = our_answer_at(ticket, cast.anna, when)

    deliver(mail(subject="Re: voorschot", in_reply_to=f"<{sent.message_id}>"))

    assert reasons(as_anna, ticket) == [
        "Gekoppeld aan dit ticket: nieuw ticket: geen lopend gesprek gevonden",
        "Gekoppeld aan dit ticket: antwoord op ons bericht van 2 december 17:13",
    ]
    html = as_anna.get(f"/tickets/{ticket.pk}/").content.decode()
    toggle = html[html.rindex('<details class="thread-details">') :]
    toggle = toggle[: toggle.index("</details>")]
    assert "<summary>Technische details</summary>" in toggle
    assert f"In-Reply-To: &lt;{sent.message_id}&gt;" in toggle
    # Outside the toggle no agent reads a Message-ID.
    assert sent.message_id not in html.replace(toggle, "")

    assert reasons(as_anna, ticket, "en")[-1] == (
        "Linked to this ticket: reply to our message of 2 December 17:13"
    )
    assert "Technical details" in page_text(as_anna, ticket, "en")


def test_references_the_subject_number_and_a_stranger_read_in_words(cast, deliver, as_anna):
    deliver(mail())
    ticket = Ticket.objects.get()
    sent = our_answer_at(ticket, cast.anna, timezone.now() - timedelta(minutes=5))

    deliver(mail(subject="Nog iets", references=f"<{sent.message_id}>", in_reply_to="<x@elders>"))
    deliver(mail(subject=f"Doorgestuurd [#{ticket.pk}]"))
    deliver(mail(sender="vreemde@example.org", subject=f"Over [#{ticket.pk}]"))

    lines = reasons(as_anna, ticket)
    assert lines[1].startswith(
        "Gekoppeld aan dit ticket: hoort bij de mailwisseling van ons bericht van "
    )
    assert lines[2] == (
        f"Gekoppeld aan dit ticket: het ticketnummer [#{ticket.pk}] staat in het onderwerp"
    )
    other = Ticket.objects.exclude(pk=ticket.pk).get()
    assert reasons(as_anna, other) == [
        "Gekoppeld aan dit ticket: nieuw ticket: geen lopend gesprek gevonden; het bericht "
        f"wees naar #{ticket.pk}, maar vreemde@example.org neemt aan dat ticket geen deel"
    ]
    assert reasons(as_anna, other, "en") == [
        "Linked to this ticket: new ticket: no ongoing conversation found; the message "
        f"pointed to #{ticket.pk}, but vreemde@example.org takes no part in that ticket"
    ]


def test_a_follow_up_after_a_long_closed_ticket_and_a_logged_call(cast, deliver, as_anna, settings):
    settings.BALIE_REOPEN_WINDOW_DAYS = 30
    deliver(mail())
    ticket = Ticket.objects.get()
    sent = our_answer_at(ticket, cast.anna, timezone.now() - timedelta(days=121))
    actions.update_ticket(ticket, by=cast.anna, status=Status.CLOSED)
    Ticket.objects.filter(pk=ticket.pk).update(closed_at=timezone.now() - timedelta(days=120))

    deliver(mail(subject="Re: voorschot", in_reply_to=f"<{sent.message_id}>"))
    follow_up = Ticket.objects.exclude(pk=ticket.pk).get()
    log_contact(
        cast.carla,
        by=cast.anna,
        channel="phone",
        subject="Belde over het voorschot",
        text="Klant belde.",
    )
    call = Ticket.objects.get(channel="phone")

    # The answer replied to is in the closed ticket, not in this one: said without its date.
    assert reasons(as_anna, follow_up) == [
        "Gekoppeld aan dit ticket: antwoord op een eerder bericht, maar "
        f"#{ticket.pk} is al langer dan 30 dagen gesloten: nieuw ticket als vervolg"
    ]
    assert reasons(as_anna, call) == ["Gekoppeld aan dit ticket: vastgelegd door Anna de Vries"]
    assert reasons(as_anna, call, "en") == ["Linked to this ticket: logged by Anna de Vries"]


def test_a_whatsapp_message_continues_the_running_conversation(cast, as_anna):
    from balie.intake.pipeline import run_pipeline
    from balie.messaging.connectors.base import InboundMessage, Party

    def whatsapp(text):
        return run_pipeline(
            InboundMessage(
                channel="whatsapp",
                external_id=f"wamid.{text}",
                sender=Party("whatsapp", "+31612345678", "Carla Jansen"),
                subject="",
                text=text,
            )
        )

    whatsapp("Hallo, mijn meter doet het niet")
    whatsapp("Nog steeds niet")
    ticket = Ticket.objects.get(channel="whatsapp")

    assert reasons(as_anna, ticket)[-1] == (
        "Gekoppeld aan dit ticket: vervolg op het lopende gesprek via WhatsApp"
    )
    assert reasons(as_anna, ticket, "en")[-1] == (
        "Linked to this ticket: continues the ongoing conversation on WhatsApp"
    )


def test_a_message_filed_before_reasons_were_data_shows_its_recorded_reason(cast, as_anna):
    ticket = actions.create_ticket(
        customer=cast.carla, subject="Oud", channel="email", by=cast.anna, team=cast.klantenservice
    )
    Message.objects.create(
        ticket=ticket,
        direction=Direction.INBOUND,
        channel="email",
        body_text="Oud bericht",
        thread_reason="[#12] in het onderwerp",
        created_at=timezone.now(),
    )

    assert reasons(as_anna, ticket) == ["Gekoppeld aan dit ticket: [#12] in het onderwerp"]


def _migration():
    import importlib

    return importlib.import_module("balie.tickets.migrations.0009_threading_from_recorded_reasons")


def test_messages_filed_before_reasons_were_data_say_them_in_words_after_the_migration(
    cast, deliver, as_anna
):
    from django.apps import apps

    deliver(mail())
    ticket = Ticket.objects.get()
    when = datetime(
        timezone.localdate().year, 12, 2, 17, 13, tzinfo=timezone.get_current_timezone()
    )
    sent = our_answer_at(ticket, cast.anna, when)
    deliver(mail(subject="Re: voorschot", in_reply_to=f"<{sent.message_id}>"))
    # As an older Balie stored them: only the Dutch sentence.
    Message.objects.filter(ticket=ticket).update(threading={})
    assert reasons(as_anna, ticket, "en") == [
        "Linked to this ticket: nieuw ticket",
        f"Linked to this ticket: In-Reply-To <{sent.message_id}>",
    ]

    _migration().forwards(apps, None)

    assert reasons(as_anna, ticket, "en") == [
        "Linked to this ticket: new ticket: no ongoing conversation found",
        "Linked to this ticket: reply to our message of 2 December 17:13",
    ]
    assert reasons(as_anna, ticket) == [
        "Gekoppeld aan dit ticket: nieuw ticket: geen lopend gesprek gevonden",
        "Gekoppeld aan dit ticket: antwoord op ons bericht van 2 december 17:13",
    ]
    assert ticket.messages.filter(thread_reason="nieuw ticket").exists()  # the sentence is kept


@pytest.mark.parametrize(
    ("recorded", "data"),
    [
        ("[#10012] in het onderwerp", {"how": "subject", "number": 10012}),
        ("[#10001] in onderwerp", {"how": "subject", "number": 10001}),
        ("[#10012] in the subject", {"how": "subject", "number": 10012}),
        (
            "References <a1@voorbeeld.nl>",
            {"how": "header", "header": "References", "message_id": "a1@voorbeeld.nl"},
        ),
        ("lopend gesprek op whatsapp", {"how": "conversation", "channel": "whatsapp"}),
        ("lopend gesprek op telefoon", {"how": "conversation", "channel": "phone"}),
        (
            "automatisch antwoord; [#10012] in het onderwerp",
            {"how": "automatic", "via": {"how": "subject", "number": 10012}},
        ),
        (
            "lopend gesprek op sms, maar #10044 is al langer dan 30 dagen gesloten: "
            "nieuw ticket als vervolg",
            {
                "how": "follow_up",
                "via": {"how": "conversation", "channel": "sms"},
                "number": 10044,
                "days": 30,
            },
        ),
        (
            "[#10012] in het onderwerp wijst naar #10012, maar piet@example.nl is geen "
            "deelnemer van dat ticket; nieuw ticket",
            {"how": "new", "refused": [{"number": 10012, "sender": "piet@example.nl"}]},
        ),
        (
            "onbestelbaar-melding over bericht <x9@balie>",
            {"how": "bounce", "message_id": "x9@balie"},
        ),
        ("vastgelegd door Anna de Vries", {"how": "logged", "agent": "Anna de Vries"}),
        ("vastgelegd via de API door Bram", {"how": "api", "agent": "Bram"}),
        ("logged by Anna de Vries", {"how": "logged", "agent": "Anna de Vries"}),
        ("nieuw chatgesprek", {"how": "chat"}),
        ("chatgesprek 3f2a9c1d", {"how": "chat", "session": "3f2a9c1d"}),
        ("new ticket", {"how": "new"}),
        ("demo", None),
        ("automatisch antwoord; iets anders", None),
    ],
)
def test_each_recorded_sentence_of_the_intake_becomes_its_data(recorded, data):
    assert _migration().reason_as_data(recorded) == data
