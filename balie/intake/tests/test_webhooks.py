"""The generic webhook route, /webhooks/<channel>/<account>/, with a channel that exists only
in the tests (`FakeSms`, one connector class and one registry line): a signed delivery becomes
a ticket, an agent's answer goes out through the connector to the customer's number, a status
callback moves the answer's delivery status, and every hostile call is refused before
anything is stored."""

from __future__ import annotations

import json

import pytest

from balie.intake import tasks
from balie.messaging.models import ChannelAccount, Envelope, OutboxItem, OutboxStatus, Quarantine
from balie.messaging.tests.fake_sms import LINE, FakeSms, sign, sms_account
from balie.tickets import actions
from balie.tickets.events import EventKind
from balie.tickets.models import Activity, DeliveryStatus, Direction, Message, Ticket

SECRET = "geheim-van-de-provider"
CARLA = "+31612345678"  # her number as the provider writes it; the cast has "06 12345678"


@pytest.fixture(autouse=True)
def fake_sms(settings):
    settings.BALIE_CONNECTORS = {**settings.BALIE_CONNECTORS, **LINE}
    FakeSms.sent.clear()
    FakeSms.inbox.clear()
    FakeSms.acknowledged.clear()


@pytest.fixture
def account(cast) -> ChannelAccount:
    return sms_account(cast.klantenservice, secret=SECRET)


@pytest.fixture
def post(client, django_capture_on_commit_callbacks):
    """POST events to the account's webhook as the provider does (signed unless told)."""

    def _post(account, *events, body=None, signature=None, channel="sms", path=None):
        raw = body if body is not None else json.dumps({"events": list(events)}).encode()
        headers = (
            {} if signature == "" else {"HTTP_X_SIGNATURE_256": signature or sign(raw, SECRET)}
        )
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(
                path or f"/webhooks/{channel}/{account.pk}/",
                data=raw,
                content_type="application/json",
                **headers,
            )

    return _post


def sms(text: str, id: str = "SM1", sender: str = CARLA) -> dict:
    return {"type": "message", "id": id, "from": sender, "name": "Carla", "text": text}


def test_a_signed_delivery_becomes_a_ticket_of_the_customer_with_her_message(cast, account, post):
    response = post(account, sms("Mijn meter geeft een foutcode E4."))

    assert response.status_code == 200
    assert response.json() == {"received": 1, "duplicates": 0}
    ticket = Ticket.objects.get()
    assert ticket.channel == "sms" and ticket.customer == cast.carla  # known by her number
    assert ticket.team == cast.klantenservice and ticket.account == account
    message = ticket.messages.get()
    assert message.body_text == "Mijn meter geeft een foutcode E4."
    assert message.direction == Direction.INBOUND and message.external_id == "SM1"
    envelope = Envelope.objects.get()
    assert envelope.status == "processed" and envelope.external_id == f"{account.pk}:SM1"


def test_a_replayed_delivery_files_nothing_twice(account, post):
    body = json.dumps({"events": [sms("Wanneer komt de monteur?")]}).encode()
    assert post(account, body=body).json() == {"received": 1, "duplicates": 0}

    again = post(account, body=body)

    assert again.status_code == 200
    assert again.json() == {"received": 0, "duplicates": 1}
    assert Ticket.objects.count() == 1 and Message.objects.count() == 1


def test_the_same_provider_id_on_another_account_is_another_delivery(cast, account, post):
    other = ChannelAccount.objects.create(
        kind="sms", name="Storingen", address="+3197010000001", config={"webhook_secret": SECRET}
    )
    post(account, sms("Vraag over mijn factuur.", id="SM9"))
    response = post(other, sms("Storing in de straat.", id="SM9", sender="+31687654321"))

    assert response.json() == {"received": 1, "duplicates": 0}
    assert sorted(Envelope.objects.values_list("external_id", flat=True)) == sorted(
        [f"{account.pk}:SM9", f"{other.pk}:SM9"]
    )


def test_an_answer_goes_out_by_the_connector_to_her_number_and_its_receipts_are_recorded(
    cast, account, post, django_capture_on_commit_callbacks
):
    post(account, sms("Kan de monteur morgen komen?"))
    ticket = Ticket.objects.get()

    with django_capture_on_commit_callbacks(execute=True):
        answer = actions.add_reply(ticket, by=cast.anna, text="Ja, tussen 8 en 12 uur.")

    [sent] = FakeSms.sent
    assert sent.channel == "sms" and sent.text == "Ja, tussen 8 en 12 uur."
    assert [(p.kind, p.value) for p in sent.to] == [("phone", CARLA)]  # never her e-mail
    assert sent.in_reply_to == "SM1"
    item = OutboxItem.objects.get(message=answer)
    assert item.status == OutboxStatus.SENT and item.provider_id == "fake-1"

    delivered = {"type": "status", "message_id": "fake-1", "status": "delivered"}
    assert post(account, delivered).status_code == 200
    answer.refresh_from_db()
    assert answer.delivery_status == DeliveryStatus.DELIVERED
    assert Message.objects.count() == 2  # a receipt is no message
    read = {"type": "status", "message_id": "fake-1", "status": "read"}
    late = {"type": "status", "message_id": "fake-1", "status": "sent"}
    post(account, read, late)  # one call with two updates, out of order
    answer.refresh_from_db()
    assert answer.delivery_status == DeliveryStatus.READ  # a late "sent" changes nothing
    item.refresh_from_db()
    assert item.receipt_status == "read" and item.receipt_at is not None
    updates = Activity.objects.filter(
        ticket=ticket, kind=EventKind.MESSAGE_DELIVERY_UPDATED, data__message=answer.pk
    )
    assert [a.data["status"] for a in updates.order_by("id")] == ["sent", "delivered", "read"]
    late_envelope = Envelope.objects.get(external_id=f"{account.pk}:status:fake-1:sent")
    assert late_envelope.reason == f"#{ticket.pk}: bericht {answer.pk} is al read"


def test_a_failed_receipt_marks_the_answer_failed_with_the_providers_reason(
    cast, account, post, django_capture_on_commit_callbacks
):
    post(account, sms("Graag een terugbelverzoek."))
    with django_capture_on_commit_callbacks(execute=True):
        answer = actions.add_reply(Ticket.objects.get(), by=cast.anna, text="We bellen u.")

    post(
        account,
        {
            "type": "status",
            "message_id": "fake-1",
            "status": "failed",
            "error": "30006: nummer onbereikbaar",
        },
    )

    answer.refresh_from_db()
    assert answer.delivery_status == DeliveryStatus.FAILED
    assert answer.delivery_error == "30006: nummer onbereikbaar"
    assert OutboxItem.objects.get(message=answer).status == OutboxStatus.FAILED


def test_a_receipt_about_a_message_that_is_not_ours_is_skipped_with_its_reason(account, post):
    post(account, {"type": "status", "message_id": "iemand-anders", "status": "delivered"})

    envelope = Envelope.objects.get()
    assert envelope.status == "skipped" and "iemand-anders" in envelope.reason
    assert Ticket.objects.count() == 0


def test_an_answer_to_a_customer_without_a_number_is_refused_with_the_reason(cast, account):
    cast.carla.identities.filter(kind="phone").delete()
    ticket = actions.create_ticket(customer=cast.carla, subject="Sms", channel="sms", by=cast.anna)

    with pytest.raises(ValueError, match="niet bereikbaar"):
        actions.add_reply(ticket, by=cast.anna, text="Hallo")
    assert not FakeSms.sent


def test_a_polled_account_is_fetched_stored_and_only_then_acknowledged(
    cast, account, django_capture_on_commit_callbacks
):
    polled = ChannelAccount.objects.create(
        kind="sms", name="Oud nummer", address="+3197010000002", config={"poll": True}
    )
    FakeSms.inbox[polled.pk] = [sms("Via het oude nummer.", id="P1"), sms("Nog een.", id="P2")]

    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.poll_accounts() == 1  # only the account that polls
    assert FakeSms.acknowledged == ["P1", "P2"]
    assert sorted(Message.objects.values_list("external_id", flat=True)) == ["P1", "P2"]
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.poll_account(polled.pk) == 0


# --- the handshake ----------------------------------------------------------------------------


def test_the_providers_handshake_is_answered_with_its_challenge(client, account):
    url = f"/webhooks/sms/{account.pk}/"
    query = {
        "hub.mode": "subscribe",
        "hub.verify_token": "balie-verifieert",
        "hub.challenge": "8412",
    }

    ok = client.get(url, query)
    wrong = client.get(url, {**query, "hub.verify_token": "geraden"})

    assert ok.status_code == 200 and ok.content == b"8412"
    assert ok["Content-Type"].startswith("text/plain")
    assert wrong.status_code == 403 and "verificatietoken" in wrong.json()["detail"]


# --- hostile calls: refused, and nothing stored -------------------------------------------------


def nothing_stored() -> bool:
    return not Envelope.objects.exists() and not Ticket.objects.exists()


def test_a_call_without_a_signature_is_refused_with_401_and_nothing_is_kept(account, post):
    response = post(account, sms("Zomaar iets"), signature="")

    assert response.status_code == 401
    assert "handtekening ontbreekt" in response.json()["detail"]
    assert nothing_stored() and not Quarantine.objects.exists()


def test_a_call_with_a_wrong_signature_is_refused_with_403_and_nothing_is_kept(account, post):
    body = json.dumps({"events": [sms("Nagemaakt")]}).encode()
    response = post(account, body=body, signature=sign(body, "een ander geheim"))

    assert response.status_code == 403
    assert "ongeldige handtekening" in response.json()["detail"]
    assert nothing_stored() and not Quarantine.objects.exists()


def test_an_account_without_a_secret_accepts_nothing(account, post):
    account.config = {}
    account.save(update_fields=["config"])

    response = post(account, sms("Hallo"))

    assert response.status_code == 403 and nothing_stored()


@pytest.mark.parametrize(
    "path",
    [
        "/webhooks/telegram/{pk}/",  # a channel without a connector
        "/webhooks/email/{pk}/",  # a channel that takes no webhooks
        "/webhooks/sms/999999/",  # no such account
        "/webhooks/sms/abc/",
    ],
)
def test_an_unknown_channel_or_account_is_404(account, post, path):
    response = post(account, sms("Hallo"), path=path.format(pk=account.pk))

    assert response.status_code == 404
    assert response.json()["detail"]
    assert nothing_stored()


def test_a_switched_off_account_or_one_of_another_channel_is_404(cast, account, post):
    mailbox = ChannelAccount.objects.create(kind="email", name="Post", address="post@example.nl")
    account.is_active = False
    account.save(update_fields=["is_active"])

    assert post(account, sms("Hallo")).status_code == 404
    assert post(mailbox, sms("Hallo")).status_code == 404
    assert nothing_stored()


def test_an_oversized_body_is_413(settings, account, post):
    settings.BALIE_WEBHOOK_MAX_BYTES = 1000

    response = post(account, sms("x" * 2000))

    assert response.status_code == 413
    assert "maximaal 1000" in response.json()["detail"]
    assert nothing_stored()


def test_signed_malformed_json_is_400_with_the_reason_and_kept_in_quarantine(account, post):
    response = post(account, body=b'{"events": [')

    assert response.status_code == 400
    assert "geen geldige JSON" in response.json()["detail"]
    assert nothing_stored()
    kept = Quarantine.objects.get()
    assert bytes(kept.raw) == b'{"events": [' and kept.source == f"webhook sms/{account.pk}"


def test_another_method_is_405(client, account):
    response = client.put(f"/webhooks/sms/{account.pk}/", data=b"{}")

    assert response.status_code == 405 and response["Allow"] == "GET, POST"


def test_the_refusal_is_in_english_for_an_english_client(account, client):
    response = client.post(
        f"/webhooks/sms/{account.pk}/",
        data=b"{}",
        content_type="application/json",
        HTTP_ACCEPT_LANGUAGE="en",
    )

    assert response.status_code == 401
    assert response.json()["detail"] == "signature missing"


def test_the_route_needs_no_csrf_token_and_takes_a_form_encoded_body(account, settings):
    """Providers post without cookies or tokens; some (Twilio) send form fields, not JSON: the
    raw body reaches the connector as it was signed."""
    from django.test import Client

    body = b"events=%5B%5D"
    response = Client(enforce_csrf_checks=True).post(
        f"/webhooks/sms/{account.pk}/",
        data=body,
        content_type="application/x-www-form-urlencoded",
        HTTP_X_SIGNATURE_256=sign(body, SECRET),
    )

    # Signed and read, then refused by this provider's parser: it only sends JSON.
    assert response.status_code == 400
    assert "geen geldige JSON" in response.json()["detail"]
    assert bytes(Quarantine.objects.get().raw) == body


class WithoutHandshake(FakeSms):
    """A provider that confirms its webhook URL some other way: a GET is refused."""

    def verify(self, request, account):
        return None if request.method == "GET" else super().verify(request, account)


class Broken(FakeSms):
    def unpack(self, request, account):
        raise KeyError("entry")


def test_a_get_to_a_channel_without_a_handshake_is_405(settings, client, account):
    settings.BALIE_CONNECTORS = {"sms": f"{__name__}.WithoutHandshake"}

    response = client.get(f"/webhooks/sms/{account.pk}/", {"hub.challenge": "1"})

    assert response.status_code == 405 and response["Allow"] == "POST"


def test_a_connector_that_fails_on_a_signed_call_keeps_it_and_answers_500(settings, account, post):
    settings.BALIE_CONNECTORS = {"sms": f"{__name__}.Broken"}

    response = post(account, sms("Hallo"))

    assert response.status_code == 500
    assert nothing_stored()
    assert "KeyError" in Quarantine.objects.get().reason  # the provider retries; nothing lost
