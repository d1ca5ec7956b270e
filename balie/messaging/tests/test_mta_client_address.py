"""A refused delivery's quarantine record keeps the client's address: the peer's, unless the
request came through a trusted proxy; a client cannot write another address into it."""

from __future__ import annotations

from balie.messaging.models import Quarantine


def refused_delivery(client, **headers):
    return client.post(
        "/api/v1/inbound/email",
        data=b"From: a@example.nl\r\n\r\nhallo",
        content_type="message/rfc822",
        HTTP_AUTHORIZATION="Bearer geen-geldig-token",
        **headers,
    )


def test_a_forged_forwarded_address_is_not_what_quarantine_records(db, client, settings):
    settings.BALIE_TRUSTED_PROXIES = []

    response = refused_delivery(client, HTTP_X_FORWARDED_FOR="198.51.100.66")

    assert response.status_code == 401
    assert Quarantine.objects.get().meta["remote_addr"] == "127.0.0.1"


def test_behind_a_trusted_proxy_quarantine_records_the_client_it_forwarded(db, client, settings):
    settings.BALIE_TRUSTED_PROXIES = ["127.0.0.1"]

    refused_delivery(client, HTTP_X_FORWARDED_FOR="198.51.100.66")

    assert Quarantine.objects.get().meta["remote_addr"] == "198.51.100.66"
