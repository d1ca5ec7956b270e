"""The MTA endpoint POST /api/v1/inbound/email, and `balie quarantine` for what it refused."""

from __future__ import annotations

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from balie.accounts.actions import create_api_token, revoke_api_token
from balie.accounts.models import TokenScope
from balie.core.actors import SYSTEM
from balie.messaging.models import ChannelAccount, Envelope, Quarantine
from balie.tickets.models import Ticket

FIXTURES = Path(__file__).parent / "fixtures" / "email"
URL = "/api/v1/inbound/email"
MAIL = FIXTURES / "discourse_dutch_reply_op-schreef.eml"


@pytest.fixture
def mta_token(cast) -> str:
    _token, raw = create_api_token(cast.anna, name="postfix", scope=TokenScope.INGEST, by=SYSTEM)
    return raw


def post(client, body: bytes, token: str | None, *, query: str = "", content_type=None):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
    return client.post(
        URL + query, data=body, content_type=content_type or "message/rfc822", **headers
    )


def test_mta_delivers_a_mail_and_gets_202_after_it_is_stored(
    client, mta_token, django_capture_on_commit_callbacks
):
    raw = MAIL.read_bytes()
    with django_capture_on_commit_callbacks(execute=True):
        response = post(client, raw, mta_token)

    assert response.status_code == 202
    envelope = Envelope.objects.get()
    assert response.json() == {"envelope": envelope.pk, "status": "received"}
    assert bytes(envelope.raw) == raw and envelope.meta["source"] == "mta"
    # processed afterwards by the worker: the ticket is there
    assert Ticket.objects.get().subject.startswith("Re: [Discourse]")


def test_the_same_delivery_twice_is_a_duplicate(client, mta_token):
    raw = MAIL.read_bytes()
    first = post(client, raw, mta_token)
    second = post(client, raw, mta_token, content_type="application/octet-stream")

    assert second.status_code == 202
    assert second.json() == {"envelope": first.json()["envelope"], "status": "duplicate"}
    assert Envelope.objects.count() == 1


def test_mailbox_parameter_and_recipient_headers_choose_the_account(client, mta_token, cast):
    sales = ChannelAccount.objects.create(
        kind="email", name="Verkoop", address="verkoop@voorbeeld-energie.nl", team=cast.techniek
    )
    raw = b"From: a@example.nl\r\nTo: Verkoop <VERKOOP@voorbeeld-energie.nl>\r\n\r\nHoi\r\n"
    assert post(client, raw, mta_token).status_code == 202
    assert Envelope.objects.get().account == sales

    other = raw.replace(b"Hoi", b"Nog een")
    response = post(client, other, mta_token, query="?mailbox=verkoop@voorbeeld-energie.nl")
    assert response.status_code == 202
    assert Envelope.objects.get(pk=response.json()["envelope"]).account == sales

    unknown = post(client, other + b"x", mta_token, query="?mailbox=nergens@example.nl")
    assert unknown.status_code == 400 and "onbekende mailbox" in unknown.json()["detail"]


@pytest.mark.parametrize(
    ("token", "reason"),
    [(None, "ontbrekend token"), ("blt_fout", "ongeldig token")],
)
def test_missing_or_wrong_token_is_401_with_a_reason(client, cast, token, reason):
    response = post(client, MAIL.read_bytes(), token)

    assert response.status_code == 401
    assert reason in response.json()["detail"]
    assert Envelope.objects.count() == 0
    assert Quarantine.objects.get().reason.startswith("401")


def test_without_a_token_only_the_start_of_a_big_body_is_kept(client, cast):
    raw = b"From: a@example.nl\r\nSubject: spam\r\n\r\n" + b"x" * 200_000

    response = post(client, raw, "")

    assert response.status_code == 401
    item = Quarantine.objects.get()
    assert bytes(item.raw) == raw[: 16 * 1024]
    assert item.meta["size"] == len(raw) and item.meta["truncated"] is True


def test_token_without_ingest_right_is_refused(client, cast):
    _token, raw = create_api_token(
        cast.anna, name="rapport", scope=TokenScope.READ_WRITE, by=SYSTEM
    )

    assert post(client, MAIL.read_bytes(), raw).status_code == 401


@pytest.mark.parametrize("how", ["revoked", "revoked in the admin", "user deactivated"])
def test_a_token_that_worked_is_refused_at_once_when_revoked(client, admin_client, cast, how):
    token, raw = create_api_token(cast.bram, name="postfix", scope=TokenScope.INGEST, by=SYSTEM)
    assert post(client, MAIL.read_bytes(), raw).status_code == 202  # the token is now known

    if how == "revoked":
        revoke_api_token(token, by=cast.anna)
    elif how == "revoked in the admin":
        response = admin_client.post(
            "/admin/accounts/apitoken/",
            {"action": "revoke", "_selected_action": [token.pk]},
        )
        assert response.status_code == 302
    else:
        cast.bram.user.is_active = False
        cast.bram.user.save()

    response = post(client, MAIL.read_bytes() + b"\n", raw)
    assert response.status_code == 401
    assert "ongeldig token" in response.json()["detail"]


def test_oversized_mail_is_413_and_a_bounded_copy_is_quarantined(client, mta_token, settings):
    settings.BALIE_INBOUND_MAX_BYTES = 100_000
    raw = b"From: a@example.nl\r\nSubject: groot\r\n\r\n" + b"x" * 600_000

    response = post(client, raw, mta_token)

    assert response.status_code == 413
    assert "te groot" in response.json()["detail"]
    item = Quarantine.objects.get()
    assert len(bytes(item.raw)) <= 256 * 1024 and item.meta["truncated"] is True
    assert Envelope.objects.count() == 0


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"", "leeg bericht"),
        (b"   \r\n", "leeg bericht"),
        (b"dit is geen e-mail", "geen geldig From-adres"),
        (b"Subject: zonder afzender\r\n\r\ntekst", "geen geldig From-adres"),
        (b"From: niemand\r\n\r\ntekst", "geen geldig From-adres"),
    ],
)
def test_empty_or_unparseable_body_is_400_and_quarantined(client, mta_token, body, reason):
    response = post(client, body, mta_token)

    assert response.status_code == 400
    assert reason in response.json()["detail"]
    item = Quarantine.objects.get()
    assert bytes(item.raw) == body and item.source == "api:inbound/email"
    assert Envelope.objects.count() == 0


def test_wrong_content_type_is_400(client, mta_token):
    response = post(client, b'{"from": "a"}', mta_token, content_type="application/json")

    assert response.status_code == 400 and "message/rfc822" in response.json()["detail"]


def test_quarantine_command_lists_shows_and_replays(
    client, mta_token, django_capture_on_commit_callbacks
):
    post(client, b"Subject: kapot\r\n\r\ngeen afzender", mta_token)
    raw = b"From: Carla <carla.jansen@example.nl>\r\nSubject: Verhuizing\r\n\r\nIk verhuis.\r\n"
    # A mail that was refused (say, by a wrong token) can be replayed once it is judged good.
    post(client, raw, "blt_fout")
    bad, good = Quarantine.objects.order_by("pk")

    out = StringIO()
    call_command("quarantine", "list", stdout=out)
    assert "geen geldig From-adres" in out.getvalue() and "ongeldig token" in out.getvalue()

    out = StringIO()
    call_command("quarantine", "show", str(good.pk), stdout=out)
    assert "Ik verhuis." in out.getvalue() and "api:inbound/email" in out.getvalue()

    out = StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("quarantine", "replay", str(good.pk), stdout=out)
    assert "verwerkt" in out.getvalue()
    assert Ticket.objects.get().subject == "Verhuizing"
    good.refresh_from_db()
    assert good.replayed_at is not None

    with pytest.raises(CommandError), django_capture_on_commit_callbacks(execute=True):
        call_command("quarantine", "replay", str(bad.pk), stdout=StringIO())

    out = StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("quarantine", "replay", "--all", stdout=out)
    assert "0 van" in out.getvalue()  # the broken one stays in quarantine
    assert Ticket.objects.count() == 1


def test_an_admin_replays_a_quarantined_mail_from_the_admin_list(
    client, mta_token, django_capture_on_commit_callbacks
):
    from django.contrib.auth import get_user_model

    raw = b"From: Carla <carla.jansen@example.nl>\r\nSubject: Meterstand\r\n\r\nMijn stand.\r\n"
    post(client, raw, "blt_fout")  # refused (wrong token), kept in quarantine
    item = Quarantine.objects.get()
    admin = get_user_model().objects.create_superuser("beheerder", "b@voorbeeld-energie.nl", "x")
    client.force_login(admin)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/admin/messaging/quarantine/",
            {"action": "replay", "_selected_action": [item.pk]},
            follow=True,
        )

    assert response.status_code == 200
    assert f"{item.pk}: processed" in response.content.decode()
    assert Ticket.objects.get().subject == "Meterstand"
    item.refresh_from_db()
    assert item.replayed_at is not None
