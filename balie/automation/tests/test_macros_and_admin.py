"""Macros with placeholders in Dutch and English, applied from the ticket page; the admin pages
for rules, macros and lifecycle settings; snoozing from the ticket page."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.template import Context, Template
from django.utils import timezone

from balie.automation import actions
from balie.automation.models import LifecycleSettings, Macro, Rule, Snooze
from balie.tickets import actions as ticket_actions
from balie.tickets.models import Activity, Direction, Status, Ticket

pytestmark = pytest.mark.django_db
AMS = ZoneInfo("Europe/Amsterdam")
DUE = datetime(2027, 4, 28, 12, 0, tzinfo=AMS)


@pytest.fixture
def ticket(cast):
    ticket = ticket_actions.create_ticket(
        customer=cast.carla,
        subject="Vraag over mijn voorschot",
        channel="email",
        by=cast.carla,
        team=cast.klantenservice,
    )
    Ticket.objects.filter(pk=ticket.pk).update(first_response_due_at=DUE)
    ticket.refresh_from_db()
    return ticket


def make_macro(admin, **fields) -> Macro:
    defaults = {"name": "Voorschot", "language": "nl", "body": "Hallo", "add_tags": []}
    return actions.save_macro(None, by=admin, **{**defaults, **fields})


def test_macro_placeholders_are_filled_in_dutch(cast, admin_agent, ticket):
    macro = make_macro(
        admin_agent,
        body="Beste {{ klant.naam }},\nUw vraag {{ ticket.nummer }} ({{ ticket.onderwerp }}) "
        "beantwoorden wij uiterlijk {{ ticket.uiterlijk }}.\nMet vriendelijke groet,\n"
        "{{medewerker.naam}}, {{ bedrijf.naam }}",
    )

    text = actions.macro_text(macro, ticket, agent=cast.anna)

    assert text == (
        "Beste Carla Jansen,\n"
        f"Uw vraag #{ticket.pk} (Vraag over mijn voorschot) beantwoorden wij uiterlijk "
        "woensdag 28 april, 12:00.\nMet vriendelijke groet,\nAnna de Vries, Voorbeeld Energie"
    )


def test_macro_placeholders_are_filled_in_english(cast, admin_agent, ticket):
    macro = make_macro(
        admin_agent,
        name="Advance payment",
        language="en",
        body="Dear {{ customer.name }}, we will answer {{ ticket.number }} by {{ ticket.due }}. "
        "Kind regards, {{ agent.name }}",
    )

    text = actions.macro_text(macro, ticket, agent=cast.anna)

    assert text == (
        f"Dear Carla Jansen, we will answer #{ticket.pk} by Wednesday 28 April, 12:00. "
        "Kind regards, Anna de Vries"
    )


def test_no_due_time_reads_as_soon_as_possible(cast, admin_agent, ticket):
    Ticket.objects.filter(pk=ticket.pk).update(
        first_response_due_at=None, next_response_due_at=None, resolution_due_at=None
    )
    ticket.refresh_from_db()
    macro = make_macro(admin_agent, body="Uiterlijk {{ ticket.uiterlijk }}.")
    assert actions.macro_text(macro, ticket, agent=cast.anna) == "Uiterlijk zo snel mogelijk."


def test_applying_a_macro_fills_the_reply_box_and_changes_fields_at_once(
    client, cast, admin_agent, ticket
):
    macro = make_macro(
        admin_agent,
        body="Beste {{ klant.naam }}, wij zoeken het uit.",
        priority="high",
        add_tags=["voorschot"],
    )
    client.force_login(cast.anna.user)

    response = client.post(
        f"/tickets/{ticket.pk}/macros/{macro.pk}/toepassen/", headers={"HX-Request": "true"}
    )

    assert response.status_code == 200
    event = json.loads(response["HX-Trigger"])["balie:macro"]
    assert event["text"] == "Beste Carla Jansen, wij zoeken het uit."
    assert "toegepast" in response.content.decode()
    ticket.refresh_from_db()
    assert ticket.priority == "high"
    assert list(ticket.tags.values_list("name", flat=True)) == ["voorschot"]
    assert not ticket.messages.filter(direction=Direction.OUTBOUND, author=cast.anna).exists()
    assert Activity.objects.get(ticket=ticket, kind="macro.applied").actor_agent == cast.anna


def test_without_javascript_the_macro_opens_a_filled_reply_form(client, cast, admin_agent, ticket):
    macro = make_macro(admin_agent, body="Beste {{ klant.naam }}, dank u.")
    client.force_login(cast.anna.user)

    response = client.post(f"/tickets/{ticket.pk}/macros/{macro.pk}/toepassen/")

    assert response.status_code == 200
    assert "Beste Carla Jansen, dank u.</textarea>" in response.content.decode()


def test_send_directly_replies_and_sets_the_status(client, cast, admin_agent, ticket):
    macro = make_macro(
        admin_agent, body="Wilt u uw meterstand sturen, {{ klant.naam }}?", status=Status.PENDING
    )
    client.force_login(cast.anna.user)

    response = client.post(
        f"/tickets/{ticket.pk}/macros/{macro.pk}/toepassen/",
        {"send": "1"},
        headers={"HX-Request": "true"},
    )

    assert response.status_code == 204 and response["HX-Refresh"] == "true"
    ticket.refresh_from_db()
    assert ticket.status == Status.PENDING
    sent = ticket.messages.get(direction=Direction.OUTBOUND, author=cast.anna)
    assert sent.body_text == "Wilt u uw meterstand sturen, Carla Jansen?"


def test_agent_cannot_apply_a_macro_to_a_ticket_of_a_private_team(client, cast, admin_agent):
    hidden = ticket_actions.create_ticket(
        customer=cast.carla, subject="Intern", channel="email", by=cast.carla, team=cast.techniek
    )
    macro = make_macro(admin_agent)
    client.force_login(cast.anna.user)

    response = client.post(f"/tickets/{hidden.pk}/macros/{macro.pk}/toepassen/")

    assert response.status_code == 404
    assert not Activity.objects.filter(ticket=hidden, kind="macro.applied").exists()


def test_the_picker_on_the_ticket_page_lists_macros_in_the_tickets_language_first(
    cast, admin_agent, ticket, rf
):
    make_macro(admin_agent, name="English one", language="en")
    make_macro(admin_agent, name="Nederlandse")
    html = Template("{% load automation_tags %}{% macro_picker ticket %}").render(
        Context({"ticket": ticket, "csrf_token": "t"})
    )
    assert html.index("Nederlandse") < html.index("English one")
    assert f"/tickets/{ticket.pk}/macros/" in html


def test_only_admins_manage_rules_and_macros(client, cast, admin_agent):
    client.force_login(cast.anna.user)
    for url in ("/beheer/regels/", "/beheer/macros/", "/beheer/levenscyclus/"):
        assert client.get(url).status_code == 403

    client.force_login(admin_agent.user)
    assert client.get("/beheer/regels/").status_code == 200


def test_admin_creates_reorders_and_disables_rules(client, cast, admin_agent):
    client.force_login(admin_agent.user)
    for name in ("Eerste", "Tweede"):
        response = client.post(
            "/beheer/regels/nieuw/",
            {
                "name": name,
                "event": "ticket.created",
                "is_active": "on",
                "c0-kind": "channel",
                "c0-op": "in",
                "c0-value": "email",
                "a0-kind": "add_tag",
                "a0-value": "mail",
                "do": "save",
            },
        )
        assert response.status_code == 302
    second = Rule.objects.get(name="Tweede")

    client.post(f"/beheer/regels/{second.pk}/omhoog/")
    client.post(f"/beheer/regels/{second.pk}/aan-uit/")

    assert list(Rule.objects.order_by("position").values_list("name", "is_active")) == [
        ("Tweede", False),
        ("Eerste", True),
    ]
    page = client.get("/beheer/regels/").content.decode()
    page = page[page.index("<table") :]
    assert page.index("Tweede") < page.index("Eerste")


def test_macro_form_refuses_unknown_placeholders(client, cast, admin_agent):
    client.force_login(admin_agent.user)

    response = client.post(
        "/beheer/macros/nieuw/",
        {"name": "Fout", "language": "nl", "body": "Beste {{ klant.bsn }}", "add_tags": ""},
    )

    assert response.status_code == 400
    assert "Onbekende plaatshouder(s): {{ klant.bsn }}" in response.content.decode()
    response = client.post(
        "/beheer/macros/nieuw/",
        {"name": "Goed", "language": "en", "body": "Dear {{ customer.name }}", "add_tags": "a, B"},
    )
    assert response.status_code == 302
    assert Macro.objects.get().add_tags == ["a", "b"]


def test_macro_form_refuses_a_label_over_50_characters_instead_of_cutting_it(
    client, cast, admin_agent
):
    client.force_login(admin_agent.user)

    response = client.post(
        "/beheer/macros/nieuw/",
        {"name": "Lang", "language": "nl", "body": "Hallo", "add_tags": "kort, " + "z" * 51},
    )

    assert response.status_code == 400
    html = response.content.decode()
    assert "is te lang: maximaal 50 tekens, dit zijn er 51." in html
    assert not Macro.objects.exists()


def test_lifecycle_settings_keep_their_order(client, cast, admin_agent):
    client.force_login(admin_agent.user)
    fields = {"is_active": "on", "close_after_days": 7}

    bad = client.post(
        "/beheer/levenscyclus/",
        {**fields, "reminder_after_days": 5, "final_notice_after_days": 3, "solve_after_days": 7},
    )
    good = client.post(
        "/beheer/levenscyclus/",
        {**fields, "reminder_after_days": 2, "final_notice_after_days": 4, "solve_after_days": 6},
    )

    assert bad.status_code == 400 and good.status_code == 302
    assert LifecycleSettings.current().reminder_after_days == 2


def test_agent_snoozes_a_ticket_from_the_ticket_page(client, cast, ticket):
    client.force_login(cast.anna.user)
    until = timezone.localtime() + timedelta(days=3)

    response = client.post(
        f"/tickets/{ticket.pk}/in-de-wacht/", {"until": until.strftime("%Y-%m-%dT%H:%M")}
    )

    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.status == Status.ON_HOLD
    snoozed_until = timezone.localtime(Snooze.objects.get(ticket=ticket).until)
    assert snoozed_until.strftime("%Y-%m-%d %H:%M") == until.strftime("%Y-%m-%d %H:%M")


def test_ticket_page_shows_the_macro_picker_and_snooze_form(client, cast, admin_agent, ticket):
    make_macro(admin_agent, name="Meterstand vragen")
    client.force_login(cast.anna.user)

    page = client.get(f"/tickets/{ticket.pk}/").content.decode()

    assert 'id="macro-picker"' in page and "Meterstand vragen" in page
    assert f'action="/tickets/{ticket.pk}/in-de-wacht/"' in page


def test_the_macro_list_says_what_a_macro_changes_in_words_not_codes(client, cast, admin_agent):
    make_macro(
        admin_agent,
        status=Status.PENDING,
        priority="high",
        team=cast.techniek,
        add_tags=["voorschot"],
    )
    client.force_login(admin_agent.user)

    dutch = client.get("/beheer/macros/").content.decode()
    assert "status wordt Wacht op klant; prioriteit wordt Hoog; naar team Techniek" in dutch
    assert "labels toevoegen voorschot" in dutch
    assert "pending" not in dutch and ">high" not in dutch

    client.cookies["django_language"] = "en"
    english = client.get("/beheer/macros/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "set status to Waiting for customer; set priority to High" in english
    assert "pending" not in english
