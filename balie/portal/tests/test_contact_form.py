"""The contact form at /contact/: what a customer fills in, what the agents get, and what a bot
gets (a thank-you page and nothing else)."""

from __future__ import annotations

import json
import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from balie.messaging.models import Envelope, OutboxItem, Quarantine
from balie.portal.forms import sign_started
from balie.tickets.models import Direction, Message, Ticket


def submit(client, data, **extra):
    return client.post("/contact/", data, **extra)


def test_the_contact_page_is_dutch_and_shows_the_other_channels(cast, client):
    response = client.get("/contact/")

    page = response.content.decode()
    assert response.status_code == 200
    assert "Neem contact met ons op" in page
    assert "Voorbeeld Energie" in page
    assert "Andere manieren om ons te bereiken" in page
    assert 'name="website"' in page  # the honeypot, hidden by CSS
    assert 'name="csrfmiddlewaretoken"' in page
    assert '<html lang="nl">' in page


def test_a_storing_goes_to_techniek_and_the_customer_sees_the_ticket_number(
    cast, client, contact_data
):
    response = submit(
        client,
        contact_data(topic="incident", message="Sinds vanochtend geen stroom in de Dorpsstraat."),
    )

    assert response.status_code == 302
    assert response["Location"].startswith("/contact/bedankt/")
    ticket = Ticket.objects.get()
    assert ticket.team == cast.techniek
    assert ticket.channel == "webform"
    assert ticket.subject == "Storing"  # no subject typed: the topic
    assert ticket.claims["topic"] == "incident"
    thanks = client.get(response["Location"]).content.decode()
    assert "Bedankt voor uw bericht" in thanks
    assert f"#{ticket.pk}" in thanks
    assert "Onderwerp: Storing" in thanks
    assert "Dorpsstraat" not in thanks  # only the number and subject, never the text


def test_the_submission_is_stored_first_and_the_queued_task_changes_nothing_twice(
    cast, client, contact_data, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as queued:
        submit(client, contact_data(customer_number="K123456"))

    assert queued  # processing (and sending) was queued as well as done at once
    envelope = Envelope.objects.get()
    assert envelope.channel == "webform"
    assert envelope.status == "processed"
    assert envelope.meta["submission_id"]
    raw = json.loads(bytes(envelope.raw))
    assert raw["email"] == "piet.deboer@example.nl"
    assert raw["customer_number"] == "K123456"
    assert raw["language"] == "nl"
    assert raw["submitted_at"]
    ticket = Ticket.objects.get()
    assert ticket.messages.filter(direction=Direction.INBOUND).count() == 1
    assert ticket.messages.filter(direction=Direction.OUTBOUND, is_automatic=True).count() == 1


def test_a_question_goes_to_klantenservice_under_the_subject_typed(cast, client, contact_data):
    submit(client, contact_data(topic="question", subject="Voorschot te hoog"))

    ticket = Ticket.objects.get()
    assert ticket.team == cast.klantenservice
    assert ticket.subject == "Voorschot te hoog"


def test_the_customer_gets_a_confirmation_with_the_number_by_mail(cast, client, contact_data):
    submit(client, contact_data())

    ticket = Ticket.objects.get()
    ack = ticket.messages.get(direction=Direction.OUTBOUND)
    assert ack.is_automatic
    assert f"#{ticket.pk}" in ack.body_text
    assert ack.recipients["to"] == ["piet.deboer@example.nl"]
    assert ack.channel == "email"
    assert OutboxItem.objects.get(message=ack).status == "pending"  # on its way via the outbox


def test_a_typed_customer_number_is_a_claim_and_never_merges_into_that_customer(
    cast, client, contact_data
):
    submit(
        client,
        contact_data(
            customer_number=cast.carla.number,
            order_number="C-2024-0042",
            phone="06-98765432",
            topic="complaint",
        ),
    )

    ticket = Ticket.objects.get()
    assert ticket.customer != cast.carla
    assert ticket.customer.identities.get().value == "piet.deboer@example.nl"
    assert not cast.carla.tickets.exists()
    assert ticket.claims == {
        "customer_number": cast.carla.number,
        "order_number": "C-2024-0042",
        "phone": "+31698765432",
        "topic": "complaint",
        "language": "nl",
    }


def test_a_known_address_is_filed_under_that_customer(cast, client, contact_data):
    submit(client, contact_data(email="Carla.Jansen@Example.nl", name="Carla Jansen"))

    assert Ticket.objects.get().customer == cast.carla


def test_a_wrong_phone_number_is_explained_and_nothing_is_sent(cast, client, contact_data):
    response = submit(client, contact_data(phone="bel me maar"))

    assert response.status_code == 400
    page = response.content.decode()
    assert "Ongeldig telefoonnummer" in page
    assert "Controleer het formulier" in page
    assert "Wanneer wordt mijn voorschot aangepast?" in page
    assert not Envelope.objects.exists()


def test_name_email_and_message_are_required(cast, client, contact_data):
    response = submit(client, contact_data(name="", email="", message=""))

    assert response.status_code == 400
    assert response.content.decode().count("Dit veld is verplicht.") >= 3
    assert not Ticket.objects.exists()


def test_html_in_the_message_stays_plain_text(cast, client, contact_data):
    text = '<script>alert("x")</script><b>Mijn meter</b> & zo'
    submit(client, contact_data(message=text))

    message = Message.objects.get(direction=Direction.INBOUND)
    assert message.body_text == text
    assert message.body_html == ""


def test_a_filled_honeypot_gets_thanks_but_creates_nothing(cast, client, contact_data):
    response = submit(client, contact_data(website="https://goedkope-pillen.example"), follow=True)

    assert response.status_code == 200
    assert "Bedankt voor uw bericht" in response.content.decode()
    assert not Ticket.objects.exists()
    assert not Envelope.objects.exists()
    kept = Quarantine.objects.get()
    assert kept.reason == "honeypot"
    assert kept.meta["website"] == "https://goedkope-pillen.example"
    assert b"Wanneer wordt mijn voorschot aangepast?" in bytes(kept.raw)


def test_a_submission_within_two_seconds_is_treated_as_a_bot(cast, client, contact_data):
    response = submit(client, contact_data(started=sign_started(time.time() - 0.5)), follow=True)

    assert "Bedankt voor uw bericht" in response.content.decode()
    assert not Ticket.objects.exists()
    assert Quarantine.objects.get().reason.startswith("te snel verstuurd")


def test_a_forged_start_time_is_treated_as_a_bot(cast, client, contact_data):
    submit(client, contact_data(started="1700000000"))

    assert not Ticket.objects.exists()
    assert Quarantine.objects.get().reason == "tijdstempel ontbreekt of is vervalst"


def test_a_quarantined_false_positive_can_be_replayed_into_a_ticket(cast, client, contact_data):
    from balie.intake.pipeline import replay

    submit(client, contact_data(started=sign_started(time.time() - 0.1)))

    replay(Quarantine.objects.get())

    ticket = Ticket.objects.get()
    assert ticket.messages.get(direction=Direction.INBOUND).body_text.startswith("Wanneer")


def test_the_rate_limit_answers_429_in_dutch_and_keeps_the_input(
    cast, client, contact_data, settings
):
    settings.BALIE_CONTACT_RATE_LIMIT = "2/600"
    for n in range(2):
        assert submit(client, contact_data(message=f"Bericht {n}")).status_code == 302

    response = submit(client, contact_data(message="Mijn derde bericht, nog niet verloren"))

    assert response.status_code == 429
    page = response.content.decode()
    assert "Probeer het over enkele minuten opnieuw" in page
    assert "Mijn derde bericht, nog niet verloren" in page
    assert 'value="piet.deboer@example.nl"' in page
    assert Ticket.objects.count() == 2


def test_the_rate_limit_also_holds_per_address_from_other_ips(cast, client, contact_data, settings):
    settings.BALIE_CONTACT_RATE_LIMIT = "2/600"
    for n in range(2):
        submit(client, contact_data(), REMOTE_ADDR=f"192.0.2.{n + 1}")

    response = submit(client, contact_data(), REMOTE_ADDR="192.0.2.99")

    assert response.status_code == 429
    assert (
        submit(client, contact_data(email="ander@example.nl"), REMOTE_ADDR="192.0.2.98").status_code
        == 302
    )


def test_attachments_are_stored_with_the_message(cast, client, contact_data):
    photo = SimpleUploadedFile("meterkast.jpg", b"\xff\xd8\xff" + b"0" * 500, "image/jpeg")
    invoice = SimpleUploadedFile("factuur.pdf", b"%PDF-1.4 test", "application/pdf")

    submit(client, contact_data(attachments=[photo, invoice]))

    message = Message.objects.get(direction=Direction.INBOUND)
    stored = {a.filename: a for a in message.attachments.all()}
    assert set(stored) == {"meterkast.jpg", "factuur.pdf"}
    with stored["factuur.pdf"].file.open("rb") as fh:
        assert fh.read() == b"%PDF-1.4 test"


@pytest.mark.parametrize(
    ("upload", "reason"),
    [
        (
            lambda: SimpleUploadedFile("setup.exe", b"MZ" + b"0" * 10, "application/x-msdownload"),
            "bestandstype niet toegestaan",
        ),
        (lambda: SimpleUploadedFile("foto.jpg", b"0" * 2048, "image/jpeg"), "te groot"),
    ],
)
def test_a_refused_attachment_is_reported_on_the_form(
    cast, client, contact_data, settings, upload, reason
):
    settings.BALIE_ATTACHMENT_MAX_BYTES = 1024

    response = submit(client, contact_data(attachments=[upload()]))

    assert response.status_code == 400
    page = response.content.decode()
    assert "is niet meegestuurd" in page
    assert reason in page
    assert "Kies de bestanden opnieuw" in page
    assert "Wanneer wordt mijn voorschot aangepast?" in page
    assert not Ticket.objects.exists()


def test_at_most_five_files(cast, client, contact_data):
    files = [SimpleUploadedFile(f"foto{n}.jpg", b"1234", "image/jpeg") for n in range(6)]

    response = submit(client, contact_data(attachments=files))

    assert response.status_code == 400
    assert "U kunt maximaal 5 bestanden meesturen." in response.content.decode()


def test_an_english_visitor_is_recorded_as_english(cast, client, contact_data):
    client.post("/i18n/setlang/", {"language": "en", "next": "/contact/"})

    submit(client, contact_data())

    ticket = Ticket.objects.get()
    assert ticket.claims["language"] == "en"
    assert ticket.customer.language == "en"


def test_the_form_needs_its_csrf_token(cast, contact_data):
    strict = Client(enforce_csrf_checks=True)

    response = strict.post("/contact/", contact_data())

    assert response.status_code == 403
    assert not Ticket.objects.exists()


def test_a_tampered_confirmation_link_is_not_found(cast, client, contact_data):
    location = submit(client, contact_data())["Location"]

    response = client.get(location.replace("/bedankt/", "/bedankt/x"))

    assert response.status_code == 404


def test_the_confirmation_of_a_form_is_not_a_reply_to_a_mail(cast, client, contact_data):
    submit(client, contact_data(subject="Voorschot te hoog"))

    ack = Ticket.objects.get().messages.get(direction=Direction.OUTBOUND)
    assert not ack.subject.lower().startswith("re:")
    assert ack.subject == f"Voorschot te hoog [#{ack.ticket_id}]"


def test_the_same_form_sent_twice_within_a_minute_opens_one_ticket(cast, client, contact_data):
    first = submit(client, contact_data(subject="Voorschot te hoog"))

    # "Did it work?": the form opened again (a fresh token), the same text sent once more
    second = submit(client, contact_data(subject="Voorschot te hoog"))

    assert Ticket.objects.count() == 1
    assert Message.objects.filter(direction=Direction.INBOUND).count() == 1
    assert Message.objects.filter(direction=Direction.OUTBOUND).count() == 1  # one confirmation
    number = f"#{Ticket.objects.get().pk}"
    assert number in client.get(first["Location"]).content.decode()
    assert number in client.get(second["Location"]).content.decode()


def test_a_different_message_from_the_same_person_is_a_new_submission(cast, client, contact_data):
    submit(client, contact_data(subject="Voorschot te hoog"))

    submit(client, contact_data(subject="Verhuizing", message="Ik verhuis op 1 maart."))

    assert Ticket.objects.count() == 2
