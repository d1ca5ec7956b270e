"""The rule form: conditions and actions picked from lists (teams, agents and macros by name),
rows added and removed with buttons, Dutch errors per row, and the preview of recent tickets."""

from __future__ import annotations

import pytest
from django.http import QueryDict

from balie.automation import actions
from balie.automation.models import Rule
from balie.automation.rule_builder import RuleBuilder
from balie.tickets import actions as ticket_actions

pytestmark = pytest.mark.django_db
NEW = "/beheer/regels/nieuw/"


@pytest.fixture
def admin_client(client, admin_agent):
    client.force_login(admin_agent.user)
    return client


@pytest.fixture
def macro(admin_agent):
    return actions.save_macro(
        None, by=admin_agent, name="Meterstand vragen", language="nl", body="Uw meterstand?"
    )


def page(response) -> str:
    return response.content.decode()


def test_the_form_offers_events_conditions_and_actions_in_words(admin_client):
    html = page(admin_client.get(NEW))

    assert '<option value="ticket.created">Ticket aangemaakt</option>' in html
    assert '<option value="sla.warning">SLA-waarschuwing</option>' in html
    for condition in ("Kanaal", "Team", "Klantsegment", "Openingstijden", "SLA-stand", "Label"):
        assert f">{condition}</option>" in html
    for action in ("Prioriteit wordt", "Antwoord met macro", "Melding sturen", "Label verwijderen"):
        assert f">{action}</option>" in html
    assert "<textarea" not in html.split('id="conditions-title"')[1].split("Soort voorwaarde")[0]


def test_adding_a_team_condition_lists_the_teams_by_name(admin_client):
    response = admin_client.post(
        NEW, {"name": "", "event": "ticket.created", "new-c": "team", "do": "add-condition"}
    )

    html = page(response)
    assert response.status_code == 200
    assert "Voorwaarde 1: Team" in html
    assert '<option value="techniek">Techniek</option>' in html
    assert 'name="c0-op"' in html and "autofocus" in html
    assert "Dit veld is verplicht" not in html  # the unnamed rule is not judged yet


def test_removing_a_row_keeps_the_others_as_typed(admin_client):
    response = admin_client.post(
        NEW,
        {
            "name": "Woorden",
            "event": "ticket.created",
            "c0-kind": "words",
            "c0-where": "subject",
            "c0-op": "contains",
            "c0-value": "storing",
            "c1-kind": "tag",
            "c1-op": "has",
            "c1-value": "vip",
            "do": "remove-c0",
        },
    )

    html = page(response)
    assert 'name="c0-value"' not in html
    assert "Voorwaarde 1: Label" in html
    assert 'name="c1-value" value="vip"' in html
    assert 'id="new-c" name="new-c" autofocus' in html


def test_saving_the_form_stores_the_rule_as_json(admin_client, cast, macro):
    response = admin_client.post(
        NEW,
        {
            "name": "Storingen van VIP's",
            "event": "message.received",
            "is_active": "on",
            "c0-kind": "team",
            "c0-op": "is",
            "c0-value": "techniek",
            "c1-kind": "tier",
            "c1-op": "in",
            "c1-value": ["vip", "business"],
            "c2-kind": "words",
            "c2-where": "text",
            "c2-op": "contains",
            "c2-value": " storing ",
            "c3-kind": "business_hours",
            "c3-value": "closed",
            "c4-kind": "sla",
            "c4-op": "not_in",
            "c4-value": "breached",
            "a0-kind": "set_priority",
            "a0-value": "urgent",
            "a1-kind": "assign_agent",
            "a1-value": "bram",
            "a2-kind": "reply_macro",
            "a2-value": str(macro.pk),
            "a3-kind": "notify",
            "a3-to": "leads",
            "a3-text": "VIP met storing",
            "do": "save",
        },
    )

    assert response.status_code == 302
    rule = Rule.objects.get()
    assert (rule.name, rule.event, rule.is_active) == (
        "Storingen van VIP's",
        "message.received",
        True,
    )
    assert rule.conditions == [
        {"field": "team", "op": "is", "value": "techniek"},
        {"field": "tier", "op": "in", "value": ["vip", "business"]},
        {"field": "text", "op": "contains", "value": "storing"},
        {"field": "business_hours", "op": "is", "value": False},
        {"field": "sla", "op": "is_not", "value": "breached"},
    ]
    assert rule.actions == [
        {"type": "set_field", "field": "priority", "value": "urgent"},
        {"type": "assign_agent", "agent": "bram"},
        {"type": "reply_macro", "macro": macro.pk},
        {"type": "notify", "text": "VIP met storing", "email_team_lead": True},
    ]


def test_what_is_wrong_is_said_in_dutch_beside_each_row_and_nothing_is_saved(admin_client):
    response = admin_client.post(
        NEW,
        {
            "name": "Kapot",
            "event": "ticket.created",
            "c0-kind": "team",
            "c0-op": "is",
            "c0-value": "",
            "c1-kind": "channel",
            "c1-op": "in",
            "c2-kind": "priority",
            "c2-op": "in",
            "c2-value": "allerhoogst",
            "a0-kind": "webhook",
            "a0-url": "ftp://crm.example.nl/hook",
            "a0-secret": "kort",
            "a1-kind": "assign_team",
            "a1-value": "bestaat-niet",
            "do": "save",
        },
    )

    assert response.status_code == 400
    html = page(response)
    assert "Kies een team." in html
    assert "Kies minstens één waarde." in html
    assert "allerhoogst is geen beschikbare keuze" in html  # Django's own Dutch message
    assert "de URL moet met http:// of https:// beginnen." in html
    assert "geef een geheim van minstens 16 tekens." in html
    assert not Rule.objects.exists()


def test_a_rule_without_actions_or_with_unknown_rows_is_refused(admin_client):
    response = admin_client.post(
        NEW,
        {"name": "Leeg", "event": "ticket.created", "c0-kind": "__class__", "do": "save"},
    )

    assert response.status_code == 400
    html = page(response)
    assert "Voeg minstens één actie toe." in html
    assert "Onbekend onderdeel" in html
    assert not Rule.objects.exists()


def test_too_many_rows_are_refused(admin_client):
    data = {"name": "Veel", "event": "ticket.created", "do": "save"}
    for index in range(40):
        data |= {f"a{index}-kind": "add_tag", f"a{index}-value": f"label-{index}"}

    response = admin_client.post(NEW, data)

    assert response.status_code == 400
    assert "Hooguit 30 voorwaarden en 30 acties." in page(response)
    assert not Rule.objects.exists()


def test_every_stored_rule_comes_back_unchanged_through_the_form(cast, admin_agent, macro):
    conditions = [
        {"field": "channel", "op": "in", "value": ["email", "webform"]},
        {"field": "status", "op": "is_not", "value": "solved"},
        {"field": "team", "op": "is_empty"},
        {"field": "assignee", "op": "is_not_empty"},
        {"field": "subject", "op": "not_contains", "value": "nieuwsbrief"},
        {"field": "tag", "op": "has_not", "value": "spam"},
        {"field": "language", "op": "is", "value": "en"},
        {"field": "business_hours", "op": "is", "value": True},
    ]
    rule_actions = [
        {"type": "set_field", "field": "status", "value": "pending"},
        {"type": "set_field", "field": "type", "value": "complaint"},
        {"type": "assign_team", "team": "klantenservice"},
        {"type": "add_tag", "tag": "engels"},
        {"type": "remove_tag", "tag": "nieuw"},
        {"type": "reply", "text": {"nl": "Dank u", "en": "Thank you"}},
        {"type": "notify", "text": "Kijk mee", "agent": "anna"},
        {"type": "notify", "text": "Zie ticket", "email_team_lead": False},
        {"type": "webhook", "url": "https://crm.example.nl/h", "secret": "s" * 20},
        {"type": "reply_macro", "macro": macro.pk},
    ]
    rule = actions.create_rule(
        by=admin_agent,
        name="Alles",
        event="ticket.updated",
        conditions=conditions,
        actions=rule_actions,
    )

    shown = RuleBuilder(rule=rule)
    post = QueryDict(mutable=True)
    post.update({"name": rule.name, "event": rule.event, "is_active": "on", "do": "save"})
    for row in [*shown.conditions, *shown.actions]:
        post[f"{row.prefix}-kind"] = row.kind
        for name in row.form.fields:
            value = row.form[name].value()
            post.setlist(f"{row.prefix}-{name}", value if isinstance(value, list) else [value])
    again = RuleBuilder(post)

    assert again.command(post) == "save"
    assert again.is_valid(), [
        (r.prefix, r.form.errors) for r in again.conditions + again.actions if r.form.errors
    ]
    assert again.cleaned()["conditions"] == conditions
    assert again.cleaned()["actions"] == rule_actions


def test_preview_lists_the_recent_tickets_the_conditions_match(admin_client, cast):
    storing = ticket_actions.create_ticket(
        customer=cast.carla, subject="Storing meterkast", channel="email", by=cast.carla
    )
    ticket_actions.create_ticket(
        customer=cast.carla, subject="Verhuizing", channel="email", by=cast.carla
    )

    response = admin_client.post(
        NEW,
        {
            "name": "",
            "event": "ticket.created",
            "c0-kind": "words",
            "c0-where": "subject",
            "c0-op": "contains",
            "c0-value": "storing",
            "a0-kind": "set_priority",
            "a0-value": "urgent",
            "do": "preview",
        },
    )

    html = page(response)
    assert response.status_code == 200
    assert "1 van de laatste 2 tickets (afgelopen 30 dagen) voldoet aan de voorwaarden." in html
    preview = html.split('id="preview-title"')[1]
    assert f"#{storing.pk}" in preview and "Storing meterkast" in preview
    assert "Verhuizing" not in preview
    assert not Rule.objects.exists()
    storing.refresh_from_db()
    assert storing.priority == "normal"  # nothing ran


def test_editing_a_rule_shows_its_rows_filled_in(admin_client, cast, admin_agent):
    rule = actions.create_rule(
        by=admin_agent,
        name="Techniek urgent",
        event="ticket.created",
        conditions=[{"field": "team", "op": "is", "value": "techniek"}],
        actions=[{"type": "set_field", "field": "priority", "value": "urgent"}],
    )

    html = page(admin_client.get(f"/beheer/regels/{rule.pk}/"))

    assert "Voorwaarde 1: Team" in html
    assert '<option value="techniek" selected>Techniek</option>' in html
    assert "Actie 1: Prioriteit wordt" in html
    assert '<option value="urgent" selected>Urgent</option>' in html


def test_moving_an_action_up_changes_the_order_and_keeps_the_focus_on_it(admin_client):
    response = admin_client.post(
        NEW,
        {
            "name": "Volgorde",
            "event": "ticket.created",
            "a0-kind": "add_tag",
            "a0-value": "eerst",
            "a4-kind": "set_priority",
            "a4-value": "high",
            "do": "up-a4",
        },
    )

    html = page(response)
    assert html.index("Actie 1: Prioriteit wordt") < html.index("Actie 2: Label toevoegen")
    assert '<option value="high" selected>Hoog</option>' in html
    assert 'name="a1-value" value="eerst"' in html
    # At the top now: the focus goes to its "down" button, "up" is disabled.
    assert 'value="down-a0" class="button-link" autofocus' in html
    assert 'value="up-a0" class="button-link" disabled' in html


def test_the_rule_list_says_what_each_rule_does_in_words(admin_client, cast, admin_agent, macro):
    actions.create_rule(
        by=admin_agent,
        name="Techniek",
        event="ticket.created",
        conditions=[
            {"field": "channel", "op": "in", "value": ["email", "webform"]},
            {"field": "team", "op": "is", "value": "techniek"},
            {"field": "business_hours", "op": "is", "value": False},
        ],
        actions=[
            {"type": "set_field", "field": "priority", "value": "urgent"},
            {"type": "reply_macro", "macro": macro.pk},
            {"type": "webhook", "url": "https://crm.example.nl/h", "secret": "geheim-" * 4},
        ],
    )

    html = page(admin_client.get("/beheer/regels/"))

    assert "<li>Kanaal: is een van E-mail, Contactformulier</li>" in html
    assert "<li>Team: is Techniek</li>" in html
    assert "<li>Openingstijden: buiten openingstijden</li>" in html
    assert "<li>Prioriteit wordt: Urgent</li>" in html
    assert "<li>Antwoord met macro: Meterstand vragen (nl)</li>" in html
    assert "<li>Webhook aanroepen: https://crm.example.nl/h</li>" in html
    assert "geheim-" not in html


def test_the_form_and_its_errors_are_in_english_for_an_english_admin(admin_client):
    admin_client.post("/i18n/setlang/", {"language": "en", "next": NEW})

    shown = page(admin_client.get(NEW))
    refused = page(
        admin_client.post(
            NEW,
            {
                "name": "Fout",
                "event": "ticket.created",
                "c0-kind": "team",
                "c0-op": "is",
                "a0-kind": "add_tag",
                "a0-value": "x",
                "do": "save",
            },
        )
    )

    assert ">Add condition</button>" in shown and ">Kind of action</label>" in shown
    assert '<option value="ticket.created">Ticket created</option>' in shown
    assert ">Customer tier</option>" in shown and ">SLA state</option>" in shown
    assert "Condition 1: Team" in refused
    assert "Choose a team." in refused


def test_the_preview_reads_a_fixed_number_of_queries_however_many_tickets(
    cast, django_assert_max_num_queries
):
    from balie.automation.rule_preview import preview

    for number in range(25):
        ticket = ticket_actions.create_ticket(
            customer=cast.carla, subject=f"Storing {number}", channel="email", by=cast.carla
        )
        if number % 5 == 0:
            ticket_actions.update_ticket(ticket, by=cast.anna, tags=["spam"])
    conditions = [
        {"field": "channel", "op": "is", "value": "email"},
        {"field": "tag", "op": "has_not", "value": "spam"},
        {"field": "sla", "op": "is_not", "value": "breached"},
        {"field": "text", "op": "contains", "value": "storing"},
    ]

    with django_assert_max_num_queries(8):
        found = preview(conditions, "ticket.created")

    assert (found.checked, len(found.matched)) == (25, 20)
