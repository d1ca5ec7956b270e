"""Every entry point files its messages through the same pipeline steps, and each filed
message says which steps it went through (the 'message received' entry of its audit trail):
the MTA endpoint, IMAP, the contact form, the portal, the API (new tickets and messages in a
ticket) and a call, visit or letter an agent logs."""

from __future__ import annotations

import time
from email.message import EmailMessage
from pathlib import Path

import pytest

from balie.accounts.actions import create_api_token
from balie.accounts.models import TokenScope
from balie.core.actors import SYSTEM
from balie.intake.pipeline import STEP_NAMES, process_waiting, receive
from balie.intake.polling import poll_account
from balie.messaging.models import ChannelAccount
from balie.portal import magic_links
from balie.portal.forms import sign_started
from balie.tickets import actions
from balie.tickets.events import EventKind
from balie.tickets.models import Activity, Direction, Message, Status, Ticket

MAIL = Path(__file__).parents[2] / "messaging" / "tests" / "fixtures" / "email"
ALL_STEPS = [
    "drop_duplicate",
    "detect_auto_reply",
    "detect_loop",
    "identify_customer",
    "find_thread",
    "file_message",
]


def received(message: Message) -> dict:
    return Activity.objects.get(kind=EventKind.MESSAGE_RECEIVED, data__message=message.pk).data


def mail(sender: str, subject: str) -> bytes:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = "klantenservice@voorbeeld-energie.nl"
    msg["Subject"] = subject
    msg.set_content("Mijn meterstand klopt niet.")
    return bytes(msg)


def test_the_pipeline_has_the_steps_every_message_records():
    assert list(STEP_NAMES) == ALL_STEPS


def test_a_mail_from_the_mail_server_records_every_step(
    cast, client, django_capture_on_commit_callbacks
):
    _token, raw = create_api_token(cast.anna, name="postfix", scope=TokenScope.INGEST, by=SYSTEM)
    body = (MAIL / "discourse_dutch_reply_op-schreef.eml").read_bytes()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/api/v1/inbound/email",
            data=body,
            content_type="message/rfc822",
            HTTP_AUTHORIZATION=f"Bearer {raw}",
        )

    assert response.status_code == 202
    entry = received(Message.objects.get(direction=Direction.INBOUND))
    assert entry["steps"] == ALL_STEPS
    assert entry["thread_reason"] == "nieuw ticket"


def test_the_contact_form_records_every_step(cast, client, django_capture_on_commit_callbacks):
    data = {
        "name": "Piet de Boer",
        "email": "piet.deboer@example.nl",
        "phone": "",
        "customer_number": "",
        "order_number": "",
        "topic": "question",
        "subject": "",
        "message": "Wanneer wordt mijn voorschot aangepast?",
        "website": "",
        "started": sign_started(time.time() - 30),
    }
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/contact/", data)

    assert response.status_code in (200, 302)
    entry = received(Message.objects.get(direction=Direction.INBOUND))
    assert entry["steps"] == ALL_STEPS
    assert entry["thread_reason"] == "nieuw ticket"


@pytest.mark.parametrize("count", [1, 3])
def test_mail_filed_together_records_the_same_steps_as_mail_filed_alone(cast, count):
    envelopes = [
        receive(channel="email", raw=mail(f"klant{n}@example.nl", f"Vraag {n}"))[0]
        for n in range(count)
    ]

    process_waiting(envelopes[0].pk, limit=count)

    messages = Message.objects.filter(direction=Direction.INBOUND)
    assert messages.count() == count
    for message in messages:
        assert received(message)["steps"] == ALL_STEPS


def test_a_ticket_made_over_the_api_records_every_step_and_is_acknowledged(
    cast, client, mailoutbox, django_capture_on_commit_callbacks
):
    _token, raw = create_api_token(cast.anna, name="crm", scope=TokenScope.READ_WRITE, by=SYSTEM)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/api/v1/tickets",
            {
                "identity": {"kind": "email", "value": "dirk@example.nl"},
                "channel": "email",
                "text": "Mijn factuur klopt niet.",
            },
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {raw}",
        )

    assert response.status_code == 201, response.json()
    entry = received(Message.objects.get(direction=Direction.INBOUND))
    assert entry["steps"] == ALL_STEPS
    assert entry["thread_reason"].startswith("vastgelegd via de API")
    (ack,) = mailoutbox
    assert f"[#{response.json()['number']}]" in ack.message()["Subject"]


def api(client, cast, path: str, body: dict):
    _token, raw = create_api_token(cast.anna, name="crm", scope=TokenScope.READ_WRITE, by=SYSTEM)
    return client.post(
        path, body, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {raw}"
    )


@pytest.mark.slow
def test_mail_polled_over_imap_records_every_step(
    cast, dovecot, django_capture_on_commit_callbacks
):
    account = ChannelAccount.objects.create(
        kind="email", name="Storingen", address="storingen@voorbeeld-energie.nl",
        config=dovecot.account_config(),
    )  # fmt: skip
    dovecot.deliver(mail("klant@example.nl", "Geen stroom"))

    with django_capture_on_commit_callbacks(execute=True):
        assert poll_account(account) == 1

    entry = received(Message.objects.get(direction=Direction.INBOUND))
    assert entry["steps"] == ALL_STEPS
    assert entry["thread_reason"] == "nieuw ticket"


def test_a_reply_in_the_portal_records_every_step(
    cast, client, deliver, django_capture_on_commit_callbacks
):
    deliver(mail(cast.carla_email, "Voorschot"))
    ticket = Ticket.objects.get()
    actions.add_reply(ticket, by=cast.anna, text="Opgelost.", status=Status.SOLVED)
    token = magic_links.make_token(cast.carla, cast.carla_email)
    client.post(f"/portaal/inloggen/{token}/")

    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/portaal/tickets/{ticket.pk}/", {"message": "Nee, nog steeds te hoog."})

    reply = ticket.messages.filter(direction=Direction.INBOUND, channel="portal").get()
    entry = received(reply)
    assert entry["steps"] == ALL_STEPS
    assert entry["thread_reason"] == f"[#{ticket.pk}] in het onderwerp"


def test_a_call_logged_on_the_page_records_every_step(
    cast, client, django_capture_on_commit_callbacks
):
    client.force_login(cast.anna.user)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/tickets/nieuw/",
            {
                "channel": "phone", "customer": str(cast.carla.pk), "subject": "Verhuizing",
                "text": "Carla verhuist per 1 mei.", "type": "request", "priority": "normal",
                "team": "",
            },
        )  # fmt: skip

    assert response.status_code == 302
    entry = received(Message.objects.get(direction=Direction.INBOUND))
    assert entry["steps"] == ALL_STEPS
    assert entry["logged"] is True
    assert entry["thread_reason"] == "vastgelegd door Anna de Vries"


def test_a_letter_logged_over_the_api_records_every_step(
    cast, client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = api(
            client, cast, "/api/v1/tickets",
            {"customer": cast.carla.pk, "channel": "letter", "text": "Bezwaar tegen de nota."},
        )  # fmt: skip

    assert response.status_code == 201, response.json()
    entry = received(Message.objects.get(direction=Direction.INBOUND))
    assert entry["steps"] == ALL_STEPS
    assert entry["logged"] is True


def test_a_message_added_over_the_api_records_every_step(
    cast, client, deliver, django_capture_on_commit_callbacks
):
    deliver(mail(cast.carla_email, "Voorschot"))
    ticket = Ticket.objects.get()

    with django_capture_on_commit_callbacks(execute=True):
        response = api(
            client, cast, f"/api/v1/tickets/{ticket.pk}/messages",
            {"text": "Carla stuurde dit ook via de chat van de bank."},
        )  # fmt: skip

    assert response.status_code == 201, response.json()
    message = Message.objects.get(pk=response.json()["id"])
    entry = received(message)
    assert entry["steps"] == ALL_STEPS
    assert entry["thread_reason"] == "vastgelegd via de API door Anna de Vries"
