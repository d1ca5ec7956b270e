"""The administrator's screens: every list opens, and a new API token is shown exactly once."""

import re

import pytest
from django.contrib.auth import get_user_model

from balie.accounts.models import ApiToken, TokenScope


@pytest.fixture
def admin_client(client, cast):
    user = get_user_model().objects.create_superuser(
        "beheerder", "beheer@voorbeeld-energie.nl", "geheim"
    )
    client.force_login(user)
    return client


@pytest.mark.parametrize(
    "path",
    [
        "/admin/accounts/team/",
        "/admin/accounts/agent/",
        "/admin/accounts/apitoken/",
        "/admin/accounts/securityevent/",
        "/admin/customers/customer/",
        "/admin/tickets/ticket/",
        "/admin/tickets/activity/",
        "/admin/messaging/channelaccount/",
        "/admin/messaging/envelope/",
        "/admin/messaging/quarantine/",
        "/admin/messaging/outboxitem/",
    ],
)
def test_admin_lists_open(admin_client, path):
    assert admin_client.get(path).status_code == 200


def test_new_token_is_shown_once_and_works(admin_client, cast):
    response = admin_client.post(
        "/admin/accounts/apitoken/add/",
        {"agent": cast.anna.pk, "name": "Mailserver", "scope": "ingest"},
        follow=True,
    )

    raw = re.search(r"blt_[\w-]+", response.content.decode()).group(0)
    token = ApiToken.objects.get(name="Mailserver")
    assert token.scope == TokenScope.INGEST and token.key_hash != raw
    assert ApiToken.objects.find(raw) == token
    listing = admin_client.get("/admin/accounts/apitoken/").content.decode()
    assert raw not in listing
