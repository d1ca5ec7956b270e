"""API tokens have a scope: a mail server's ingest token delivers mail and reads nothing, a
read token changes nothing; the scope is checked on every endpoint that takes a token."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from balie.accounts.actions import create_api_token
from balie.accounts.models import TokenScope
from balie.core.actors import SYSTEM
from balie.tickets.models import Ticket

MAIL = (
    Path(__file__).parents[2]
    / "messaging/tests/fixtures/email/discourse_dutch_reply_op-schreef.eml"
)


@pytest.fixture
def token_with(cast):
    def _token(scope: str) -> dict[str, str]:
        _t, raw = create_api_token(cast.anna, name=f"token {scope}", scope=scope, by=SYSTEM)
        return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}

    return _token


def test_a_mail_servers_ingest_token_cannot_read_tickets_or_customers(cast, client, token_with):
    # given the token a mail server got, and a ticket it should never see
    ingest = token_with(TokenScope.INGEST)
    client.post(
        "/api/v1/tickets",
        {"customer": cast.carla.pk, "text": "Klopt mijn meterstand?", "channel": "email"},
        content_type="application/json",
        **token_with(TokenScope.READ_WRITE),
    )
    assert Ticket.objects.count() == 1

    # when someone who stole it reads the API
    for path in ("/api/v1/tickets", "/api/v1/customers", f"/api/v1/customers/{cast.carla.pk}"):
        response = client.get(path, **ingest)

        # then every read is refused with the reason
        assert response.status_code == 403, path
        assert "alleen berichten aanleveren" in response.json()["detail"]
        assert "Carla" not in response.content.decode()

    # while delivering mail still works
    delivered = client.post(
        "/api/v1/inbound/email", data=MAIL.read_bytes(), content_type="message/rfc822", **ingest
    )
    assert delivered.status_code == 202


def test_a_read_token_reads_and_changes_nothing(cast, client, token_with):
    read = token_with(TokenScope.READ)

    assert client.get("/api/v1/tickets", **read).status_code == 200
    response = client.post(
        "/api/v1/tickets",
        {"customer": cast.carla.pk, "text": "Hallo", "channel": "email"},
        content_type="application/json",
        **read,
    )
    assert response.status_code == 403
    assert "mag niets wijzigen" in response.json()["detail"]
    assert not Ticket.objects.exists()


def test_only_ingest_and_admin_tokens_deliver_mail(client, token_with):
    for scope, status in (
        (TokenScope.READ, 401),
        (TokenScope.READ_WRITE, 401),
        (TokenScope.ADMIN, 202),
    ):
        response = client.post(
            "/api/v1/inbound/email",
            data=MAIL.read_bytes(),
            content_type="message/rfc822",
            **token_with(scope),
        )
        assert response.status_code == status, scope


def test_every_endpoint_that_takes_a_token_refuses_an_ingest_token(client, token_with):
    # given every operation of the API schema that needs authentication
    schema = client.get("/api/v1/openapi.json").json()
    ingest = token_with(TokenScope.INGEST)
    checked = 0
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            if not operation.get("security") or path.endswith("/inbound/email"):
                continue
            url = re.sub(r"\{[^}]+\}", "1", path)
            # when the ingest token calls it
            response = getattr(client, method)(url, content_type="application/json", **ingest)
            # then it is refused before anything is read or done
            assert response.status_code == 403, f"{method.upper()} {path}"
            checked += 1
    assert checked >= 10
