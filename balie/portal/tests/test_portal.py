"""The customer portal at /portaal/: log in by e-mailed link, see your own tickets (and only
those), read the public conversation and reply."""

from __future__ import annotations

import re
import time

from django.core import signing
from django.core.files.uploadedfile import SimpleUploadedFile

from balie.core.actors import SYSTEM
from balie.customers.actions import create_customer
from balie.intake import submissions
from balie.portal import magic_links
from balie.tickets import actions
from balie.tickets.actions import UploadedFile
from balie.tickets.models import Direction, Status, Ticket

SAME_ANSWER = "Als dit adres bij ons bekend is, ontvangt u binnen enkele minuten een e-mail"


def write_in(email, subject="Vraag over mijn voorschot", text="Mijn voorschot is te hoog.", **kw):
    """A customer writes in through the contact form's pipeline; returns the ticket."""
    envelope = submissions.submit(
        submissions.build_envelope(name="", email=email, subject=subject, message=text, **kw)
    )
    return submissions.ticket_of(envelope.pk)


def log_in(client, customer, email):
    token = magic_links.make_token(customer, email)
    response = client.post(f"/portaal/inloggen/{token}/")
    assert response.status_code == 302
    return response


def without_csrf(content: bytes) -> bytes:
    """A page's bytes without its (per-response masked) CSRF token."""
    return re.sub(rb'name="csrfmiddlewaretoken" value="[^"]+"', b"", content)


def request_link(client, email, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return client.post("/portaal/", {"email": email}, follow=True)


def test_a_known_address_gets_a_log_in_link_by_mail(
    cast, client, mailoutbox, django_capture_on_commit_callbacks, settings
):
    settings.BASE_URL = "https://service.voorbeeld-energie.nl"

    response = request_link(client, "carla.jansen@example.nl", django_capture_on_commit_callbacks)

    assert SAME_ANSWER in response.content.decode()
    mail = mailoutbox[0]
    assert mail.to == ["carla.jansen@example.nl"]
    assert mail.subject == "Uw inloglink voor Voorbeeld Energie"
    assert "Beste Carla Jansen," in mail.body
    assert "7 dagen geldig" in mail.body
    assert re.search(r"https://service\.voorbeeld-energie\.nl/portaal/inloggen/\S+/", mail.body)


def test_an_unknown_address_gets_the_same_answer_and_no_mail(
    cast, client, mailoutbox, django_capture_on_commit_callbacks
):
    known = request_link(client, "carla.jansen@example.nl", django_capture_on_commit_callbacks)
    unknown = request_link(client, "niemand@example.nl", django_capture_on_commit_callbacks)

    assert unknown.status_code == known.status_code == 200
    assert unknown.redirect_chain == known.redirect_chain
    assert without_csrf(unknown.content) == without_csrf(known.content)
    assert len(mailoutbox) == 1


def test_the_mailed_link_logs_the_customer_in(
    cast, client, mailoutbox, django_capture_on_commit_callbacks
):
    carla_ticket = write_in("carla.jansen@example.nl")
    request_link(client, "carla.jansen@example.nl", django_capture_on_commit_callbacks)
    path = re.search(r"https?://[^/\s]+(/portaal/inloggen/\S+/)", mailoutbox[0].body).group(1)

    confirm = client.get(path)
    assert "U logt in met carla.jansen@example.nl." in confirm.content.decode()
    session_before = client.session.session_key
    response = client.post(path, follow=True)

    page = response.content.decode()
    assert "U bent ingelogd." in page
    assert "Mijn tickets" in page
    assert f"#{carla_ticket.pk}" in page
    assert client.session["portal_customer_id"] == cast.carla.pk
    assert client.session.session_key != session_before


def test_a_link_works_only_once(cast, client):
    token = magic_links.make_token(cast.carla, "carla.jansen@example.nl")
    client.post(f"/portaal/inloggen/{token}/")
    other = client.__class__()

    response = other.post(f"/portaal/inloggen/{token}/")

    assert response.status_code == 400
    assert "Deze inloglink is al gebruikt." in response.content.decode()
    assert "portal_customer_id" not in other.session


def test_an_expired_link_is_refused(cast, client, monkeypatch, settings):
    settings.BALIE_MAGIC_LINK_MAX_AGE = 3600
    two_hours_ago = time.time() - 7200
    monkeypatch.setattr(signing.time, "time", lambda: two_hours_ago)
    token = magic_links.make_token(cast.carla, "carla.jansen@example.nl")
    monkeypatch.undo()

    response = client.post(f"/portaal/inloggen/{token}/")

    assert response.status_code == 400
    assert "Deze inloglink is verlopen." in response.content.decode()
    assert "portal_customer_id" not in client.session


def test_a_tampered_link_is_refused(cast, client):
    token = magic_links.make_token(cast.carla, "carla.jansen@example.nl")
    tampered = token[:-3] + ("abc" if not token.endswith("abc") else "xyz")

    response = client.get(f"/portaal/inloggen/{tampered}/")

    assert response.status_code == 400
    assert "Deze inloglink is ongeldig." in response.content.decode()


def test_a_link_for_an_address_no_longer_the_customers_is_refused(cast, client):
    token = magic_links.make_token(cast.carla, "oud.adres@example.nl")

    response = client.post(f"/portaal/inloggen/{token}/")

    assert response.status_code == 400
    assert "portal_customer_id" not in client.session


def test_asking_for_links_is_rate_limited(
    cast, client, settings, mailoutbox, django_capture_on_commit_callbacks
):
    settings.BALIE_PORTAL_LOGIN_RATE_LIMIT = "2/600"
    for _n in range(2):
        request_link(client, "carla.jansen@example.nl", django_capture_on_commit_callbacks)

    response = client.post("/portaal/", {"email": "carla.jansen@example.nl"})

    assert response.status_code == 429
    assert "Probeer het over enkele minuten opnieuw." in response.content.decode()
    assert len(mailoutbox) == 2


def test_the_list_shows_only_the_customers_own_tickets_newest_first(cast, client):
    older = write_in("carla.jansen@example.nl", subject="Eerste vraag")
    newer = write_in("carla.jansen@example.nl", subject="Tweede vraag")
    someone_else = write_in("dirk@example.nl", subject="Vraag van Dirk")
    actions.update_ticket(newer, by=cast.anna, status=Status.PENDING)
    log_in(client, cast.carla, "carla.jansen@example.nl")

    page = client.get("/portaal/").content.decode()

    assert page.index("Tweede vraag") < page.index("Eerste vraag")
    assert f"#{older.pk}" in page and f"#{newer.pk}" in page
    assert "Wacht op uw reactie" in page
    assert "Ontvangen" in page
    assert "Vraag van Dirk" not in page
    assert f"#{someone_else.pk}" not in page


def test_someone_elses_ticket_is_not_found(cast, client):
    dirk_ticket = write_in(
        "dirk@example.nl",
        attachments=[UploadedFile("contract.pdf", "application/pdf", b"%PDF geheim")],
    )
    attachment = dirk_ticket.messages.get(direction=Direction.INBOUND).attachments.get()
    carla_ticket = write_in("carla.jansen@example.nl")
    log_in(client, cast.carla, "carla.jansen@example.nl")

    assert client.get(f"/portaal/tickets/{dirk_ticket.pk}/").status_code == 404
    assert client.get("/portaal/tickets/999999/").status_code == 404
    assert (
        client.get(f"/portaal/tickets/{dirk_ticket.pk}/bijlagen/{attachment.pk}/").status_code
        == 404
    )
    assert (
        client.get(f"/portaal/tickets/{carla_ticket.pk}/bijlagen/{attachment.pk}/").status_code
        == 404
    )
    response = client.post(f"/portaal/tickets/{dirk_ticket.pk}/", {"message": "Ik wil meelezen"})
    assert response.status_code == 404
    assert not dirk_ticket.messages.filter(body_text="Ik wil meelezen").exists()


def test_without_logging_in_there_is_nothing_to_see(cast, client):
    ticket = write_in("carla.jansen@example.nl")

    response = client.get(f"/portaal/tickets/{ticket.pk}/", follow=True)

    page = response.content.decode()
    assert "Log in om uw tickets te bekijken." in page
    assert "Inloggen op het klantportaal" in page
    assert "Mijn voorschot is te hoog." not in page


def test_the_conversation_shows_replies_but_never_internal_notes(cast, client):
    ticket = write_in("carla.jansen@example.nl", text='<script>alert("x")</script> Help!')
    actions.add_note(ticket, by=cast.anna, text="Interne notitie: klant belt vaak")
    actions.add_reply(ticket, by=cast.anna, text="We hebben uw voorschot verlaagd.")
    log_in(client, cast.carla, "carla.jansen@example.nl")

    page = client.get(f"/portaal/tickets/{ticket.pk}/").content.decode()

    assert "We hebben uw voorschot verlaagd." in page
    assert "Anna de Vries" in page
    assert "Bedankt voor uw bericht" in page  # the acknowledgement
    assert "Interne notitie" not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; Help!" in page
    assert '<script>alert("x")' not in page


def test_a_customer_downloads_an_attachment_of_their_own_ticket(cast, client):
    ticket = write_in(
        "carla.jansen@example.nl",
        attachments=[UploadedFile("meterstand.pdf", "application/pdf", b"%PDF 12345 kWh")],
    )
    attachment = ticket.messages.get(direction=Direction.INBOUND).attachments.get()
    log_in(client, cast.carla, "carla.jansen@example.nl")
    page = client.get(f"/portaal/tickets/{ticket.pk}/").content.decode()
    assert f"/portaal/tickets/{ticket.pk}/bijlagen/{attachment.pk}/" in page

    response = client.get(f"/portaal/tickets/{ticket.pk}/bijlagen/{attachment.pk}/")

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"%PDF 12345 kWh"
    assert response["Content-Disposition"].startswith("attachment;")


def test_an_attachment_on_an_internal_note_cannot_be_downloaded(cast, client):
    ticket = write_in("carla.jansen@example.nl")
    note = actions.add_note(
        ticket,
        by=cast.anna,
        text="Scan van het dossier",
        attachments=[UploadedFile("dossier.pdf", "application/pdf", b"%PDF intern")],
    )
    log_in(client, cast.carla, "carla.jansen@example.nl")

    response = client.get(f"/portaal/tickets/{ticket.pk}/bijlagen/{note.attachments.get().pk}/")

    assert response.status_code == 404


def test_a_reply_lands_in_the_same_ticket_and_reopens_it(cast, client):
    ticket = write_in("carla.jansen@example.nl")
    actions.add_reply(ticket, by=cast.anna, text="Opgelost, toch?", status=Status.SOLVED)
    log_in(client, cast.carla, "carla.jansen@example.nl")

    response = client.post(
        f"/portaal/tickets/{ticket.pk}/",
        {
            "message": "Nee, het voorschot is nog steeds te hoog.",
            "attachments": [SimpleUploadedFile("jaarnota.pdf", b"%PDF nota", "application/pdf")],
        },
        follow=True,
    )

    assert response.redirect_chain[-1][0] == f"/portaal/tickets/{ticket.pk}/"
    page = response.content.decode()
    assert "Uw reactie is toegevoegd aan uw ticket." in page
    assert "Nee, het voorschot is nog steeds te hoog." in page
    assert "jaarnota.pdf" in page
    ticket.refresh_from_db()
    assert ticket.status == Status.OPEN
    reply = ticket.messages.filter(direction=Direction.INBOUND).last()
    assert reply.channel == "portal"
    assert reply.sender_address == "carla.jansen@example.nl"
    assert reply.attachments.get().filename == "jaarnota.pdf"
    assert Ticket.objects.count() == 1


def test_an_empty_reply_is_explained(cast, client):
    ticket = write_in("carla.jansen@example.nl")
    log_in(client, cast.carla, "carla.jansen@example.nl")

    response = client.post(f"/portaal/tickets/{ticket.pk}/", {"message": ""})

    assert response.status_code == 400
    assert "Dit veld is verplicht." in response.content.decode()
    assert ticket.messages.filter(direction=Direction.INBOUND).count() == 1


def test_a_flood_of_replies_is_slowed_down_and_keeps_the_text(cast, client, settings):
    settings.BALIE_PORTAL_REPLY_RATE_LIMIT = "2/600"
    ticket = write_in("carla.jansen@example.nl")
    log_in(client, cast.carla, "carla.jansen@example.nl")
    for i in range(2):
        client.post(f"/portaal/tickets/{ticket.pk}/", {"message": f"Aanvulling {i}"})

    response = client.post(f"/portaal/tickets/{ticket.pk}/", {"message": "Nog een aanvulling"})

    assert response.status_code == 429
    page = response.content.decode()
    assert "al veel reacties gestuurd" in page and "Nog een aanvulling" in page
    assert ticket.messages.filter(direction=Direction.INBOUND).count() == 3


def test_logging_out_ends_the_portal_session(cast, client):
    ticket = write_in("carla.jansen@example.nl")
    log_in(client, cast.carla, "carla.jansen@example.nl")

    response = client.post("/portaal/uitloggen/", follow=True)

    assert "U bent uitgelogd." in response.content.decode()
    assert "portal_customer_id" not in client.session
    assert client.get(f"/portaal/tickets/{ticket.pk}/").status_code == 302


def test_a_customer_merged_into_another_sees_the_merged_tickets(cast, client):
    from balie.customers.actions import merge_customers

    second = create_customer(
        name="Carla J.", identities=[("email", "carla@werk.example.nl")], by=SYSTEM
    )
    work_ticket = write_in("carla@werk.example.nl", subject="Zakelijke vraag")
    merge_customers(cast.carla, second, by=cast.anna)
    token = magic_links.make_token(second, "carla@werk.example.nl")

    client.post(f"/portaal/inloggen/{token}/")

    assert client.session["portal_customer_id"] == cast.carla.pk
    assert client.get(f"/portaal/tickets/{work_ticket.pk}/").status_code == 200


def test_the_portal_switches_to_english(cast, client):
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/portaal/"}, follow=True)

    assert '<html lang="en">' in response.content.decode()


def _login_link_in_a_process_with(env: dict[str, str]) -> str:
    """The portal login link as a Balie started with `env` writes it into its mail."""
    import os
    import subprocess
    import sys

    script = (
        "import django; django.setup()\n"
        "from balie.customers.models import Customer\n"
        "from balie.portal.magic_links import link_for\n"
        "print(link_for(Customer(pk=7), 'carla@example.nl'))\n"
    )
    clean = {
        k: v
        for k, v in os.environ.items()
        if k not in ("BALIE_BASE_URL", "BALIE_HOST", "BALIE_PORT")
    }
    result = subprocess.run(
        [sys.executable, "-c", script],
        # a deployment-shaped run (DATABASE_URL set) needs a secret key to start
        env={
            **clean,
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "SECRET_KEY": clean.get("SECRET_KEY") or "portal-link-test-" + "k" * 40,
            **env,
        },
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return result.stdout.strip()


def test_links_in_mail_follow_the_port_balie_serves_on():
    assert _login_link_in_a_process_with({"BALIE_PORT": "8123"}).startswith(
        "http://127.0.0.1:8123/portaal/"
    )
    assert _login_link_in_a_process_with(
        {"BALIE_HOST": "0.0.0.0", "BALIE_PORT": "9000"}  # noqa: S104
    ).startswith("http://127.0.0.1:9000/portaal/")


def test_a_public_address_set_for_links_wins_over_the_port():
    link = _login_link_in_a_process_with(
        {"BALIE_PORT": "8123", "BALIE_BASE_URL": "https://balie.example.nl/"}
    )

    assert link.startswith("https://balie.example.nl/portaal/")
