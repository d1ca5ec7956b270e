"""Guessing passwords: after 10 failed logins in 15 minutes, per account or per address, the
agents' login and the Django admin refuse (429, in Dutch), the right password too, and the
lockout is in the security log."""

from __future__ import annotations

from django.contrib.auth import get_user_model

from balie.accounts.models import SecurityEvent, SecurityEventKind

LOCKED = "Te veel mislukte inlogpogingen"


def test_forty_wrong_passwords_then_the_right_one_does_not_log_in(client, cast):
    # given an attacker guessing anna's password
    answers = [
        client.post("/inloggen/", {"username": "anna", "password": f"gok-{n}"}).status_code
        for n in range(40)
    ]

    # when they finally try the right one
    response = client.post("/inloggen/", {"username": "anna", "password": "geheim-wachtwoord"})

    # then the first ten got the usual answer, the rest and the right password a 429
    assert answers[:10] == [200] * 10 and set(answers[10:]) == {429}
    assert response.status_code == 429
    assert LOCKED in response.content.decode()
    assert "_auth_user_id" not in client.session
    # and the lockout is in the security log, once
    event = SecurityEvent.objects.get()
    assert event.kind == SecurityEventKind.LOGIN_LOCKED and event.username == "anna"
    assert event.address == "127.0.0.1"


def test_one_address_trying_many_accounts_is_stopped_too(client, cast):
    for n in range(10):
        client.post("/inloggen/", {"username": f"medewerker{n}", "password": "welkom01"})

    response = client.post("/inloggen/", {"username": "bram", "password": "geheim-wachtwoord"})

    assert response.status_code == 429
    # bram himself, from another address, still logs in
    other = client.post(
        "/inloggen/",
        {"username": "bram", "password": "geheim-wachtwoord"},
        REMOTE_ADDR="192.0.2.10",
    )
    assert other.status_code == 302


def test_a_locked_account_is_locked_from_every_address(client, cast):
    for n in range(10):
        client.post(
            "/inloggen/", {"username": "anna", "password": "fout"}, REMOTE_ADDR=f"192.0.2.{n}"
        )

    response = client.post(
        "/inloggen/",
        {"username": "anna", "password": "geheim-wachtwoord"},
        REMOTE_ADDR="198.51.100.1",
    )

    assert response.status_code == 429


def test_the_django_admin_login_is_throttled_the_same_way(client, cast):
    get_user_model().objects.create_superuser("beheerder", "beheer@example.nl", "juist-ww")
    for n in range(10):
        client.post(
            "/admin/login/", {"username": "beheerder", "password": f"gok-{n}", "next": "/admin/"}
        )

    response = client.post(
        "/admin/login/", {"username": "beheerder", "password": "juist-ww", "next": "/admin/"}
    )

    assert response.status_code == 429
    assert LOCKED in response.content.decode()
    assert SecurityEvent.objects.filter(username="beheerder").exists()


def test_the_admin_sees_the_lockout_in_the_security_log(client, cast):
    for n in range(10):
        client.post("/inloggen/", {"username": "anna", "password": f"gok-{n}"})
    admin = get_user_model().objects.create_superuser("beheerder", "beheer@example.nl", "ww")
    client.force_login(admin)

    page = client.get("/admin/accounts/securityevent/").content.decode()

    assert "anna" in page and "10 mislukte inlogpogingen" in page
