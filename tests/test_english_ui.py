"""An agent who switched the UI to English reads English on the pages they work in: the inbox,
a ticket with its whole history (replies, notes, an auto-reply, field changes, SLA targets, why
each message is there), logging a contact, customers, search, reports and the admin pages.
What customers wrote is theirs (written in English here); everything else must be translated,
so a Dutch word on these pages is a string someone forgot to wrap or translate."""

from __future__ import annotations

import re
from html import unescape

import pytest
from django.test import Client

from balie.accounts.models import Role
from balie.core.actors import SYSTEM
from balie.intake.tests.test_pipeline import mail
from balie.tickets import actions
from balie.tickets.models import Status, Ticket

# Words of Balie's Dutch texts that English never uses (and no name of the test cast holds).
DUTCH = (
    "het", "een", "niet", "geen", "naar", "voor", "bij", "van", "zijn", "wordt", "ook", "nog",
    "klant", "klanten", "bericht", "berichten", "antwoord", "gesprek", "opslaan", "verzenden",
    "toegewezen", "behandelaar", "ontvangen", "gewijzigd", "wijzigen", "zoeken", "nieuw",
    "gesloten", "opgelost", "wacht", "prioriteit", "soort", "onderwerp",
    "stuurde", "paste", "maakte", "aangemaakt", "uiterlijk", "eerste", "reactie", "alle",
    "mijn", "regel", "regels", "toevoegen", "verwijderen", "notitie", "vraag", "dit", "deze",
    "wijzigde", "heropende", "toewijzing", "geschiedenis", "gebeurtenissen", "behandelen",
)  # fmt: skip
ENGLISH_TOO: set[str] = set()
WORD = re.compile(r"[A-Za-zÀ-ÿ]+")

pytestmark = pytest.mark.django_db


def visible_text(html: str) -> str:
    """What the agent reads: text, titles, placeholders and labels for screen readers."""
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    # Placeholders for replies have a Dutch and an English name ({{ klant.naam }}): code.
    html = re.sub(r"\{\{.*?\}\}", " ", html)
    attributes = re.findall(r'(?:title|placeholder|aria-label|alt)="([^"]*)"', html)
    text = re.sub(r"<[^>]+>", " ", html)
    return unescape(" ".join([text, *attributes]))


def dutch_words(text: str, allowed: set[str]) -> list[str]:
    words = {w.lower() for w in WORD.findall(text)}
    return sorted((set(DUTCH) - ENGLISH_TOO) & words - allowed)


def english_agent(agent) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(agent.user)
    client.cookies["django_language"] = "en"
    return client


@pytest.fixture
def busy_ticket(cast, deliver):
    """A ticket with every kind of entry an agent reads on its page."""
    deliver(
        mail(
            subject="My advance payment is too high",
            body="Hello, my monthly advance payment went up a lot after the move. Regards, Carla",
        )
    )
    ticket = Ticket.objects.get()
    sent = actions.add_reply(ticket, by=cast.anna, text="We have lowered your advance payment.")
    deliver(mail(subject="Re: advance payment", in_reply_to=f"<{sent.message_id}>", body="Thanks!"))
    actions.add_note(ticket, by=cast.anna, text="Checked the meter readings.")
    actions.update_ticket(
        ticket, by=cast.anna, priority="high", tags=["billing"], assignee=cast.anna
    )
    actions.update_ticket(ticket, by=cast.anna, status=Status.PENDING)
    return ticket


def assert_english(client, url: str, *, allowed: set[str] = frozenset()) -> None:
    response = client.get(url)
    assert response.status_code == 200, url
    text = " ".join(visible_text(response.content.decode()).split())
    found = dutch_words(text, set(allowed))
    where = [
        text[max(0, m.start() - 50) : m.end() + 50]
        for word in found
        for m in [re.search(rf"\b{word}\b", text, re.I)]
        if m
    ]
    assert not found, f"{url} shows Dutch: {found}: {where}"


def test_the_ticket_page_and_the_inbox_read_english(cast, busy_ticket):
    client = english_agent(cast.anna)

    assert_english(client, f"/tickets/{busy_ticket.pk}/")
    assert_english(client, "/tickets/")
    assert_english(client, "/tickets/?view=all")
    assert_english(client, "/tickets/nieuw/")


def test_customers_search_and_reports_read_english(cast, busy_ticket):
    cast.anna.role = Role.ADMIN
    cast.anna.save(update_fields=["role"])
    client = english_agent(cast.anna)

    assert_english(client, "/klanten/")
    assert_english(client, f"/klanten/{busy_ticket.customer_id}/")
    assert_english(client, "/zoeken/?q=advance")
    assert_english(client, "/rapportages/sla/")


def test_the_admin_pages_read_english(cast):
    cast.anna.role = Role.ADMIN
    cast.anna.save(update_fields=["role"])
    actions.create_ticket(
        customer=cast.carla, subject="Printer", channel="email", by=SYSTEM, team=cast.klantenservice
    )
    client = english_agent(cast.anna)

    for url in (
        "/beheer/regels/",
        "/beheer/regels/nieuw/",
        "/beheer/macros/",
        "/beheer/macros/nieuw/",
        "/beheer/webhooks/",
        "/beheer/levenscyclus/",
    ):
        assert_english(client, url)


def test_a_refused_change_on_the_customer_page_explains_itself_in_english(cast):
    from balie.customers.actions import create_customer

    dirk = create_customer(name="Dirk", identities=[("email", "dirk@example.nl")], by=SYSTEM)
    client = english_agent(cast.anna)

    response = client.post(
        f"/klanten/{cast.carla.pk}/identiteit/", {"kind": "email", "value": "dirk@example.nl"}
    )

    assert response.status_code == 400
    assert f"dirk@example.nl already belongs to customer {dirk.number}" in response.content.decode()


def test_a_ticket_whose_channel_cannot_send_offers_email_in_the_uis_own_words(cast):
    ticket = actions.create_ticket(
        customer=cast.carla, subject="Solar panels", channel="whatsapp", by=SYSTEM
    )
    client = english_agent(cast.anna)

    assert_english(client, f"/tickets/{ticket.pk}/")
    page = " ".join(visible_text(client.get(f"/tickets/{ticket.pk}/").content.decode()).split())
    assert "A reply on WhatsApp cannot be sent" in page
    assert "Send by email" in page and "You can answer the customer by email" in page
    # The channel is called "Email" everywhere else on the page: one spelling.
    assert "e-mail" not in page.lower()
