"""The agent UI for tickets, as an agent uses it through the browser (Django test client)."""

from __future__ import annotations

import re

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from balie.core.actors import SYSTEM
from balie.messaging.connectors.base import InboundMessage, Party
from balie.messaging.models import OutboxItem
from balie.tickets import actions
from balie.tickets.models import Activity, Direction, Status, Ticket


@pytest.fixture
def as_anna(client, cast):
    client.force_login(cast.anna.user)
    return client


def inbound(text="Mijn voorschot is te hoog.", full_text="", sender="carla.jansen@example.nl"):
    return InboundMessage(
        channel="email",
        external_id="",
        sender=Party("email", sender, "Carla Jansen"),
        subject="Voorschot",
        text=text,
        full_text=full_text or text,
    )


def open_ticket(cast, subject="Vraag over mijn voorschot", team=None, **kwargs):
    return actions.create_ticket(
        customer=cast.carla,
        subject=subject,
        channel="email",
        by=SYSTEM,
        team=team if team is not None else cast.klantenservice,
        **kwargs,
    )


def numbers_in(response) -> list[int]:
    return [
        int(n)
        for n in re.findall(
            r'class="col-number"[^>]*><a href="/tickets/(\d+)/', response.content.decode()
        )
    ]


def test_login_required_for_the_inbox(client, cast):
    response = client.get(reverse("tickets:inbox"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_inbox_views_show_the_right_tickets(as_anna, cast):
    mine = open_ticket(cast, "Mijn ticket", assignee=cast.anna)
    unassigned = open_ticket(cast, "Nog van niemand")
    pending = open_ticket(cast, "Wacht op Carla", assignee=cast.anna)
    actions.update_ticket(pending, by=cast.anna, status=Status.PENDING)
    solved = open_ticket(cast, "Al opgelost")
    actions.update_ticket(solved, by=cast.anna, status=Status.SOLVED)

    def view(slug):
        return set(numbers_in(as_anna.get(reverse("tickets:inbox"), {"view": slug})))

    assert view("mine") == {mine.pk, pending.pk}
    assert view("unassigned") == {unassigned.pk}
    assert view("waiting") == {pending.pk}
    assert view("solved") == {solved.pk}
    assert view("all_open") == {mine.pk, unassigned.pk, pending.pk}


def test_inbox_filters_and_shows_columns(as_anna, cast):
    urgent = open_ticket(cast, "Geen stroom", priority="urgent")
    open_ticket(cast, "Gewone vraag")
    actions.update_ticket(urgent, by=cast.anna, tags=["storing"])

    response = as_anna.get(reverse("tickets:inbox"), {"priority": "urgent"})
    assert numbers_in(response) == [urgent.pk]
    assert numbers_in(as_anna.get(reverse("tickets:inbox"), {"tag": "storing"})) == [urgent.pk]
    assert numbers_in(as_anna.get(reverse("tickets:inbox"), {"assignee": "0"})) != []
    html = response.content.decode()
    assert "Carla Jansen" in html and "Urgent" in html and "Klantenservice" in html
    assert "geleden" in html or "nu" in html  # Dutch relative time


def test_inbox_htmx_request_gets_only_the_list(as_anna, cast):
    open_ticket(cast)
    response = as_anna.get(
        reverse("tickets:inbox"), HTTP_HX_REQUEST="true", HTTP_HX_TARGET="ticket-list"
    )
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="ticket-list"')
    assert "<html" not in html


def test_inbox_keyset_next_page(as_anna, cast):
    tickets = [open_ticket(cast, f"Vraag {i}") for i in range(55)]
    first = as_anna.get(reverse("tickets:inbox"), {"sort": "newest"})
    assert numbers_in(first) == [t.pk for t in reversed(tickets)][:50]
    assert "Volgende pagina" in first.content.decode()
    cursor = re.search(r'rel="next" href="\?([^"]+)"', first.content.decode()).group(1)
    second = as_anna.get(reverse("tickets:inbox") + "?" + cursor.replace("&amp;", "&"))
    assert numbers_in(second) == [t.pk for t in reversed(tickets)][50:]
    assert "Volgende pagina" not in second.content.decode()


def test_inbox_queries_are_bounded(as_anna, cast, django_assert_max_num_queries):
    for i in range(30):
        open_ticket(cast, f"Vraag {i}", assignee=cast.anna if i % 2 else None)
    with django_assert_max_num_queries(12):
        response = as_anna.get(reverse("tickets:inbox"))
    assert len(numbers_in(response)) == 30


def test_private_team_ticket_is_hidden_from_other_agents(as_anna, cast):
    secret = open_ticket(cast, "Meterkast vervangen", team=cast.techniek)
    assert as_anna.get(reverse("tickets:detail", args=[secret.pk])).status_code == 404
    assert as_anna.get(reverse("tickets:conversation", args=[secret.pk])).status_code == 404
    for slug in ("mine", "unassigned", "team", "all_open", "all"):
        assert secret.pk not in numbers_in(as_anna.get(reverse("tickets:inbox"), {"view": slug}))
    assert secret.pk not in numbers_in(
        as_anna.get(reverse("tickets:inbox"), {"team": cast.techniek.pk})
    )


def test_ticket_page_shows_conversation_notes_thread_reason_and_audit_trail(as_anna, cast):
    ticket = open_ticket(cast, claims={"customer_number": "K123456"})
    actions.add_inbound_message(
        ticket,
        inbound(text="Mijn voorschot is te hoog.", full_text="Mijn voorschot is te hoog.\n> oud"),
        by=cast.carla,
        thread_reason="[#10001] in onderwerp",
    )
    actions.add_note(ticket, by=cast.anna, text="Eerst meterstanden <b>nakijken</b>")
    actions.update_ticket(ticket, by=cast.anna, priority="high")

    html = as_anna.get(reverse("tickets:detail", args=[ticket.pk])).content.decode()

    assert "Mijn voorschot is te hoog." in html
    assert "Toon volledige bericht" in html
    assert 'class="message message-note' in html
    assert "Eerst meterstanden &lt;b&gt;nakijken&lt;/b&gt;" in html  # autoescaped
    assert "[#10001] in onderwerp" in html
    assert "K123456" in html and "opgegeven, niet geverifieerd" in html
    assert "prioriteit van Normaal naar Hoog" in html
    assert "voegde een interne notitie toe" in html
    assert "carla.jansen@example.nl" in html  # customer sidebar


def test_reply_creates_outbound_message_in_the_outbox_and_shows_it(as_anna, cast):
    ticket = open_ticket(cast)
    response = as_anna.post(
        reverse("tickets:reply", args=[ticket.pk]),
        {
            "mode": "antwoord",
            "text": "Wij passen uw voorschot aan.",
            "status_after": "pending",
        },
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    message = ticket.messages.get(direction=Direction.OUTBOUND)
    assert message.body_text == "Wij passen uw voorschot aan."
    assert OutboxItem.objects.filter(message=message).exists()
    html = response.content.decode()
    assert "Wij passen uw voorschot aan." in html
    assert "In de wachtrij" in html or "Verzonden" in html
    ticket.refresh_from_db()
    assert ticket.status == Status.PENDING


def test_note_is_not_sent(as_anna, cast):
    ticket = open_ticket(cast)
    response = as_anna.post(
        reverse("tickets:reply", args=[ticket.pk]),
        {"mode": "notitie", "text": "Klant belt morgen terug."},
    )
    assert response.status_code == 302
    note = ticket.messages.get()
    assert note.direction == Direction.NOTE
    assert not OutboxItem.objects.exists()
    page = as_anna.get(response["Location"]).content.decode()
    assert "Klant belt morgen terug." in page and "Notitie toegevoegd." in page


def test_empty_reply_shows_a_dutch_error(as_anna, cast):
    ticket = open_ticket(cast)
    response = as_anna.post(
        reverse("tickets:reply", args=[ticket.pk]),
        {"mode": "antwoord", "text": ""},
        HTTP_HX_REQUEST="true",
    )
    assert response["HX-Retarget"] == "#reply-form"
    assert "Schrijf eerst een bericht." in response.content.decode()
    assert not ticket.messages.exists()


def test_field_changes_are_recorded_in_the_audit_trail(as_anna, cast):
    ticket = open_ticket(cast)
    response = as_anna.post(
        reverse("tickets:update", args=[ticket.pk]),
        {
            "status": "open",
            "priority": "urgent",
            "type": "complaint",
            "team": str(cast.klantenservice.pk),
            "assignee": str(cast.anna.pk),
            "tags": "Storing, terugbellen",
        },
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    ticket.refresh_from_db()
    assert (ticket.priority, ticket.type, ticket.assignee) == ("urgent", "complaint", cast.anna)
    assert sorted(ticket.tags.values_list("name", flat=True)) == ["storing", "terugbellen"]
    update = Activity.objects.get(ticket=ticket, kind="ticket.updated")
    assert update.actor_agent == cast.anna
    html = response.content.decode()
    assert "Wijzigingen opgeslagen." in html
    assert "wees het ticket toe aan Anna de Vries" in html


def test_invalid_field_value_is_refused_in_dutch(as_anna, cast):
    ticket = open_ticket(cast)
    response = as_anna.post(
        reverse("tickets:update", args=[ticket.pk]),
        {"status": "weg", "priority": "normal", "type": "question"},
    )
    assert response.status_code == 400
    assert "Selecteer een geldige keuze" in response.content.decode()
    assert not Activity.objects.filter(ticket=ticket, kind="ticket.updated").exists()


@pytest.mark.parametrize("htmx", [True, False])
def test_a_label_over_50_characters_is_refused_and_nothing_is_saved(as_anna, cast, htmx):
    ticket = open_ticket(cast)
    long_label = "verhuizing-naar-een-nieuw-adres-met-een-ander-voorschot"  # 55 characters
    extra = {"HTTP_HX_REQUEST": "true"} if htmx else {}
    response = as_anna.post(
        reverse("tickets:update", args=[ticket.pk]),
        {
            "status": "open",
            "priority": "urgent",
            "type": "question",
            "team": "",
            "assignee": "",
            "tags": f"storing, {long_label}",
        },
        **extra,
    )
    html = response.content.decode()
    assert response.status_code == (200 if htmx else 400)
    assert "Wijzigingen opgeslagen." not in html
    assert f"Label „{long_label}” is te lang: maximaal 50 tekens, dit zijn er 55." in html
    assert long_label in html  # the agent's input stays in the form
    ticket.refresh_from_db()
    assert ticket.priority != "urgent"
    assert not ticket.tags.exists()
    assert not Activity.objects.filter(ticket=ticket, kind="ticket.updated").exists()


def test_a_label_over_50_characters_is_refused_in_english(as_anna, cast):
    ticket = open_ticket(cast)
    as_anna.cookies["django_language"] = "en"
    response = as_anna.post(
        reverse("tickets:update", args=[ticket.pk]),
        {"status": "new", "priority": "normal", "type": "question", "tags": "x" * 51},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 400
    assert "is too long: at most 50 characters, this one has 51." in response.content.decode()
    assert not ticket.tags.exists()


def test_a_label_of_exactly_50_characters_is_kept_whole(as_anna, cast):
    ticket = open_ticket(cast)
    response = as_anna.post(
        reverse("tickets:update", args=[ticket.pk]),
        {"status": "new", "priority": "normal", "type": "question", "tags": " " + "y" * 50 + " "},
        HTTP_HX_REQUEST="true",
    )
    assert "Wijzigingen opgeslagen." in response.content.decode()
    assert list(ticket.tags.values_list("name", flat=True)) == ["y" * 50]


@pytest.mark.parametrize("channel", ["phone", "visit", "letter"])
def test_log_contact_opens_a_ticket(as_anna, cast, channel):
    scan = SimpleUploadedFile("brief.pdf", b"%PDF-1.4 scan", content_type="application/pdf")
    response = as_anna.post(
        reverse("intake:log_contact"),
        {
            "channel": channel,
            "customer": str(cast.carla.pk),
            "subject": "Verhuizing",
            "text": "Carla verhuist per 1 mei.",
            "type": "request",
            "priority": "normal",
            "team": "",
            "attachments": [scan],
        },
    )
    assert response.status_code == 302
    ticket = Ticket.objects.get()
    assert response["Location"] == reverse("tickets:detail", args=[ticket.pk])
    assert (ticket.channel, ticket.customer, ticket.assignee) == (channel, cast.carla, cast.anna)
    message = ticket.messages.get()
    assert message.attachments.get().filename == "brief.pdf"
    page = as_anna.get(response["Location"]).content.decode()
    assert "Carla verhuist per 1 mei." in page and "brief.pdf" in page


def test_log_contact_for_a_new_customer(as_anna, cast):
    response = as_anna.post(
        reverse("intake:log_contact"),
        {
            "channel": "phone",
            "new_name": "Dirk de Boer",
            "new_phone": "06 98765432",
            "subject": "Storing",
            "text": "Geen warm water.",
            "type": "incident",
            "priority": "high",
        },
    )
    assert response.status_code == 302
    ticket = Ticket.objects.get()
    assert ticket.customer.name == "Dirk de Boer"
    assert ticket.customer.identities.get().value == "+31698765432"


def test_log_contact_without_customer_explains_in_dutch(as_anna, cast):
    response = as_anna.post(
        reverse("intake:log_contact"),
        {
            "channel": "phone",
            "subject": "x",
            "text": "y",
            "type": "question",
            "priority": "normal",
        },
    )
    assert response.status_code == 400
    assert "Kies een bestaande klant" in response.content.decode()
    assert not Ticket.objects.exists()


def test_attachment_download_checks_access(client, cast):
    ticket = open_ticket(cast, team=cast.techniek)
    message = actions.add_note(
        ticket,
        by=cast.bram,
        text="Foto van de meter",
        attachments=[actions.UploadedFile("meter.jpg", "image/jpeg", b"jpeg-bytes")],
    )
    url = reverse("tickets:attachment", args=[ticket.pk, message.attachments.get().pk])
    client.force_login(cast.bram.user)
    response = client.get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"jpeg-bytes"
    client.force_login(cast.anna.user)
    assert client.get(url).status_code == 404


def test_presence_warning_appears_for_the_other_agent(
    client, cast, published, django_capture_on_commit_callbacks
):
    cache.clear()
    ticket = open_ticket(cast)
    client.force_login(cast.bram.user)
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(reverse("tickets:typing", args=[ticket.pk])).status_code == 204
    assert (
        [f"ticket.{ticket.pk}"],
        "presence.typing",
        {"ticket": ticket.pk, "agent": cast.bram.pk},
    ) in published
    own = client.get(reverse("tickets:presence", args=[ticket.pk])).content.decode()
    assert "aan het schrijven" not in own

    client.force_login(cast.anna.user)
    html = client.get(reverse("tickets:presence", args=[ticket.pk])).content.decode()
    assert "Bram Bakker is ook een antwoord aan het schrijven" in html
    page = client.get(reverse("tickets:detail", args=[ticket.pk])).content.decode()
    assert "Bram Bakker is ook een antwoord aan het schrijven" in page


def test_user_without_agent_gets_a_dutch_403(client, db):
    from balie.accounts.tests.factories import UserFactory

    client.force_login(UserFactory(username="gast"))
    response = client.get(reverse("tickets:inbox"))
    assert response.status_code == 403
    assert "geen medewerker" in response.content.decode()


def test_the_density_setting_refuses_unknown_values_and_outside_addresses(as_anna, cast):
    response = as_anna.post(
        reverse("tickets:density"), {"density": "tiny", "next": "https://evil.example/"}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("tickets:inbox")
    cast.anna.refresh_from_db()
    assert cast.anna.inbox_density == "compact"
    page = as_anna.get(response["Location"]).content.decode()
    assert "Onbekende regelhoogte; er is niets gewijzigd." in page

    as_anna.post(
        reverse("tickets:density"), {"density": "comfortable", "next": "/tickets/?view=all"}
    )
    cast.anna.refresh_from_db()
    assert cast.anna.inbox_density == "comfortable"
    assert 'class="ticket-list density-comfortable"' in as_anna.get("/tickets/").content.decode()


def test_an_unknown_sort_falls_back_to_the_views_default_and_is_not_remembered(as_anna, cast):
    page = as_anna.get("/tickets/", {"view": "all_open", "sort": "willekeurig"}).content.decode()
    assert re.search(r'<option value="deadline" selected>', page)
    cast.anna.refresh_from_db()
    assert cast.anna.inbox_sorts == {}


def test_an_inbox_address_with_the_former_dutch_codes_still_opens_its_view(as_anna, cast):
    # a bookmark from before the codes were English
    page = as_anna.get("/tickets/", {"view": "wacht-op-klant", "sort": "nieuw"}).content.decode()

    assert re.search(r'<option value="newest" selected>', page)
    assert ">Wacht op klant</h1>" in page
    cast.anna.refresh_from_db()
    assert cast.anna.inbox_sorts == {"waiting": "newest"}
