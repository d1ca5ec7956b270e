"""The contact form's token expires and can be sent once, and the client's address is the
peer's unless the request came through a configured proxy: a bot cannot replay one good
submission, nor choose the address its rate limit and quarantine record are kept under."""

from __future__ import annotations

import time

from balie.core.client_address import client_address
from balie.messaging.models import Quarantine
from balie.portal.forms import sign_started
from balie.tickets.models import Ticket

EXPIRED = "Dit formulier is verlopen of al verstuurd"


def test_a_replayed_contact_form_files_nothing_and_keeps_the_text(cast, client, contact_data):
    # given one contact form a bot captured after a person sent it
    data = contact_data(message="Mijn meter staat stil sinds dinsdag.")
    assert client.post("/contact/", data).status_code == 302

    # when the bot sends exactly the same form again, and again
    replays = [client.post("/contact/", data) for _ in range(3)]

    # then nothing more is filed, and the page says why in Dutch, with the text kept
    assert Ticket.objects.count() == 1
    for response in replays:
        page = response.content.decode()
        assert response.status_code == 400
        assert EXPIRED in page
        assert "Mijn meter staat stil sinds dinsdag." in page
        assert data["started"] not in page  # a fresh token to send it with


def test_a_person_whose_form_expired_sends_it_again_with_the_fresh_token(
    cast, client, contact_data, settings
):
    settings.BALIE_CONTACT_MAX_SECONDS = 3600
    settings.BALIE_CONTACT_MIN_SECONDS = 0
    data = contact_data(started=sign_started(time.time() - 2 * 3600))

    response = client.post("/contact/", data)

    assert response.status_code == 400 and EXPIRED in response.content.decode()
    assert not Ticket.objects.exists()
    # the person presses send again on the form shown, with its fresh token
    fresh = response.context["form"]["started"].value()
    again = client.post("/contact/", {**data, "started": fresh})
    assert again.status_code == 302 and Ticket.objects.count() == 1


def test_x_forwarded_for_from_an_untrusted_peer_changes_no_address(
    cast, client, contact_data, settings
):
    # given no trusted proxies, and a client on loopback that is rate limited
    settings.BALIE_TRUSTED_PROXIES = []
    settings.BALIE_CONTACT_RATE_LIMIT = "2/600"
    for n in range(2):
        client.post(
            "/contact/",
            contact_data(email=f"een{n}@example.nl"),
            REMOTE_ADDR="127.0.0.1",
            HTTP_X_FORWARDED_FOR=f"198.51.100.{n}",
        )

    # when it claims yet another address
    response = client.post(
        "/contact/",
        contact_data(email="drie@example.nl", website="spam"),
        REMOTE_ADDR="127.0.0.1",
        HTTP_X_FORWARDED_FOR="198.51.100.77",
    )

    # then the limit holds for its real address
    assert response.status_code == 429
    assert Ticket.objects.count() == 2


def test_a_spam_record_keeps_the_address_a_trusted_proxy_forwarded(
    cast, client, contact_data, settings
):
    settings.BALIE_TRUSTED_PROXIES = ["10.0.0.0/24"]

    client.post(
        "/contact/",
        contact_data(website="http://spam.example"),
        REMOTE_ADDR="10.0.0.5",
        HTTP_X_FORWARDED_FOR="203.0.113.9, 198.51.100.4, 10.0.0.7",
    )
    client.post(
        "/contact/",
        contact_data(website="http://spam.example"),
        REMOTE_ADDR="192.0.2.50",
        HTTP_X_FORWARDED_FOR="203.0.113.9",
    )

    ips = sorted(q.meta["ip"] for q in Quarantine.objects.all())
    # the proxy's client (not the address the client itself put in front), and the peer
    assert ips == ["192.0.2.50", "198.51.100.4"]


def test_client_address_trusts_forwarded_headers_only_from_proxies(settings):
    settings.BALIE_TRUSTED_PROXIES = ["10.0.0.1", "fd00::/8"]

    assert client_address("127.0.0.1", "1.2.3.4") == "127.0.0.1"
    assert client_address("10.0.0.1", "1.2.3.4") == "1.2.3.4"
    assert client_address("fd00::1", "1.2.3.4, 10.0.0.1") == "1.2.3.4"
    assert client_address("10.0.0.1", "niet-een-adres") == "10.0.0.1"
    assert client_address("10.0.0.1", "") == "10.0.0.1"


def test_the_web_server_of_make_run_passes_on_no_address_a_local_client_chose():
    import asyncio

    import uvicorn
    from uvicorn.main import main as uvicorn_cli

    from balie.core.management.commands.serve import web_server_command

    # given the web server as `make run` starts it
    arguments = web_server_command("127.0.0.1", "8000")[3:]
    params = uvicorn_cli.make_context("uvicorn", arguments).params
    seen: list[tuple[str, int]] = []

    async def app(scope, receive, send):
        seen.append(scope["client"])

    config = uvicorn.Config(
        app, proxy_headers=params["proxy_headers"], forwarded_allow_ips="127.0.0.1"
    )
    config.load()

    # when a client on loopback claims another address
    scope = {
        "type": "http",
        "client": ("127.0.0.1", 40000),
        "headers": [(b"x-forwarded-for", b"198.51.100.77")],
        "scheme": "http",
        "path": "/contact/",
    }
    asyncio.run(config.loaded_app(scope, None, None))

    # then Balie sees the peer, not the claim
    assert seen[0][0] == "127.0.0.1"
