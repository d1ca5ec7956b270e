"""Logging in and out of the agent UI."""

from __future__ import annotations

from django.urls import reverse


def test_login_page_is_dutch_with_the_company_name(client, db, settings):
    html = client.get(reverse("accounts:login")).content.decode()
    assert "Inloggen bij de klantenservice van Voorbeeld Energie" in html
    assert "Wachtwoord" in html


def test_login_with_username_lands_in_the_inbox(client, cast):
    response = client.post(
        reverse("accounts:login"), {"username": "anna", "password": "geheim-wachtwoord"}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("tickets:inbox")
    assert "Anna de Vries" in client.get(response["Location"]).content.decode()


def test_login_with_email_address(client, cast):
    response = client.post(
        reverse("accounts:login"),
        {"username": "anna@voorbeeld-energie.nl", "password": "geheim-wachtwoord"},
    )
    assert response.status_code == 302


def test_wrong_password_shows_a_dutch_error(client, cast):
    response = client.post(reverse("accounts:login"), {"username": "anna", "password": "fout"})
    assert response.status_code == 200
    assert "Onjuiste gebruikersnaam of wachtwoord" in response.content.decode()


def test_logout_is_a_post(client, cast):
    client.force_login(cast.anna.user)
    assert client.get(reverse("accounts:logout")).status_code == 405
    response = client.post(reverse("accounts:logout"))
    assert response.status_code == 302
    assert client.get(reverse("tickets:inbox")).status_code == 302
