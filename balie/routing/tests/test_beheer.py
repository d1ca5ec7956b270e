"""The Beheer pages for teams' routing and agents' skills, as an admin uses them."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from balie.accounts.models import Role
from balie.routing import actions
from balie.routing.models import (
    AgentSkills,
    Offer,
    OfferState,
    RoutingChange,
    RoutingMode,
    TeamRouting,
)

pytestmark = pytest.mark.django_db


def open_offer(ticket):
    return Offer.objects.filter(ticket=ticket, state=OfferState.OFFERED).first()


def settings_post(**changes):
    data = {
        "mode": RoutingMode.LEAST_LOADED,
        "routed_channels": ["chat"],
        "cap": "3",
        "ticket_cap": "",
        "offer_timeout": "30",
        "overflow_queue_length": "",
        "overflow_wait": "",
        "overflow_action": "none",
        "overflow_team": "",
    }
    data.update(changes)
    return data


@pytest.fixture
def as_admin(client, make_agent):
    admin = make_agent("Ada", online=False, role=Role.ADMIN)
    client.force_login(admin.user)
    return client


def team_url(team):
    return reverse("routing:team_routing", args=[team.slug])


def test_an_admin_lowers_the_cap_and_the_engine_offers_by_it(
    as_admin, team, make_agent, new_ticket, django_capture_on_commit_callbacks
):
    overview = as_admin.get(reverse("routing:beheer")).content.decode()
    assert "Klantenservice" in overview and team_url(team) in overview
    page = as_admin.get(team_url(team)).content.decode()
    assert "Routering van Klantenservice" in page and "Gelijktijdige chats per medewerker" in page

    response = as_admin.post(team_url(team), settings_post(cap="1"))
    assert response.status_code == 302
    assert "opgeslagen" in as_admin.get(response["Location"]).content.decode()
    assert TeamRouting.objects.get(team=team).cap == 1

    annie = make_agent("Annie")
    first, second = new_ticket(), new_ticket()
    actions.accept_offer(open_offer(first).pk, agent=annie)
    assert open_offer(second) is None  # one chat at a time now

    # Raising it again lets the waiting chat through at once.
    with django_capture_on_commit_callbacks(execute=True):
        as_admin.post(team_url(team), settings_post(cap="2"))
    assert open_offer(second).agent == annie


def test_manual_mode_set_in_the_page_stops_offers(as_admin, team, make_agent, new_ticket):
    as_admin.post(team_url(team), settings_post(mode=RoutingMode.MANUAL))
    make_agent("Annie")
    ticket = new_ticket()
    assert open_offer(ticket) is None
    assert actions.queue_position(ticket).position == 1


def test_invalid_settings_get_a_dutch_error_and_change_nothing(as_admin, team, cast):
    before = TeamRouting.objects.get(team=team)
    response = as_admin.post(team_url(team), settings_post(cap="0", mode="round_robin"))
    assert response.status_code == 400
    assert "Minstens 1." in response.content.decode()
    response = as_admin.post(team_url(team), settings_post(overflow_action="team"))
    assert response.status_code == 400
    assert "Kies het team waar de overloop heen gaat." in response.content.decode()
    response = as_admin.post(
        team_url(team), settings_post(overflow_action="team", overflow_team=str(team.pk))
    )
    assert "Een ander team dan dit." in response.content.decode()
    response = as_admin.post(team_url(team), settings_post(routed_channels=["fax"]))
    assert response.status_code == 400
    after = TeamRouting.objects.get(team=team)
    assert (after.mode, after.cap, after.overflow_action, after.routed_channels) == (
        before.mode,
        before.cap,
        before.overflow_action,
        before.routed_channels,
    )


def test_a_team_without_settings_gets_a_row_when_saved(as_admin, cast):
    url = team_url(cast.techniek)
    assert as_admin.get(url).status_code == 200
    response = as_admin.post(
        url,
        settings_post(overflow_action="team", overflow_team=str(cast.klantenservice.pk), cap="5"),
    )
    assert response.status_code == 302
    row = TeamRouting.objects.get(team=cast.techniek)
    assert (row.cap, row.overflow_team) == (5, cast.klantenservice)


def test_an_admin_sets_an_agents_skills_and_the_engine_picks_by_them(
    as_admin, make_agent, new_ticket
):
    annie, bob = make_agent("Annie"), make_agent("Bob")
    url = reverse("routing:agent_skills", args=[bob.pk])
    assert "Vaardigheden van Bob" in as_admin.get(url).content.decode()
    response = as_admin.post(url, {"languages": ["de", "en"], "topics": "incident, billing ,"})
    assert response.status_code == 302
    skills = AgentSkills.objects.get(agent=bob)
    assert (skills.languages, skills.topics) == (["de", "en"], ["incident", "billing"])
    assert "incident, billing" in as_admin.get(url).content.decode()

    response = as_admin.post(url, {"languages": ["es"], "topics": ""})
    assert response.status_code == 400
    assert AgentSkills.objects.get(agent=bob).languages == ["de", "en"]

    as_admin.post(reverse("routing:agent_skills", args=[annie.pk]), {"languages": ["nl"]})
    assert open_offer(new_ticket(language="de")).agent == bob


def test_others_are_refused_and_csrf_is_checked(client, team, make_agent):
    lead = make_agent("Lea", role=Role.TEAM_LEAD)
    client.force_login(lead.user)
    for url in (
        reverse("routing:beheer"),
        team_url(team),
        reverse("routing:agent_skills", args=[lead.pk]),
    ):
        assert client.get(url).status_code == 403
    assert client.post(team_url(team), settings_post(cap="9")).status_code == 403
    assert TeamRouting.objects.get(team=team).cap == 3

    admin = make_agent("Ada", role=Role.ADMIN)
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(admin.user)
    assert strict.post(team_url(team), settings_post(cap="9")).status_code == 403
    assert TeamRouting.objects.get(team=team).cap == 3
    page = strict.get(team_url(team)).content.decode()
    assert "<script>" not in page and "onclick" not in page


def test_the_pages_read_in_english_for_an_agent_who_switched(as_admin, team):
    as_admin.post("/i18n/setlang/", {"language": "en", "next": "/"})
    page = as_admin.get(team_url(team)).content.decode()
    assert "Routing of Klantenservice" in page and "Routed channels" in page
    response = as_admin.post(team_url(team), {**settings_post(), "cap": "0"})
    assert response.status_code == 400 and "At least 1." in response.content.decode()
    overview = as_admin.get(reverse("routing:beheer")).content.decode()
    assert "Chats per agent" in overview and "Skills" in overview


def test_every_change_of_the_settings_is_in_the_audit_trail_with_who_and_what(
    as_admin, team, make_agent, cast
):
    bob = make_agent("Bob")
    as_admin.post(team_url(team), settings_post(cap="2", mode=RoutingMode.ROUND_ROBIN))
    as_admin.post(team_url(team), settings_post(cap="2", mode=RoutingMode.ROUND_ROBIN))  # same
    as_admin.post(team_url(team), settings_post(cap="0"))  # refused: nothing changed
    as_admin.post(
        team_url(team),
        settings_post(
            cap="2",
            mode=RoutingMode.ROUND_ROBIN,
            overflow_action="team",
            overflow_team=str(cast.techniek.pk),
            routed_channels=["chat", "email"],
        ),
    )
    as_admin.post(reverse("routing:agent_skills", args=[bob.pk]), {"languages": ["de", "en"]})

    overview = as_admin.get(reverse("routing:beheer")).content.decode()
    trail = overview[overview.index('id="wijzigingen"') :]
    rows = trail.split("<tr>")[2:]  # newest first, after the header row
    assert len(rows) == 3
    assert "Ada" in rows[0] and "Bob" in rows[0] and "Talen: — → Duits, Engels" in rows[0]
    assert "Klantenservice" in rows[1]
    assert "Bij overloop: Blijft in de wachtrij → Naar een ander team" in rows[1]
    assert "Overloopteam: — → Techniek" in rows[1]
    assert "Verdeelde kanalen: Chat → Chat, E-mail" in rows[1]
    assert "Gelijktijdige chats per medewerker: 3 → 2" in rows[2]
    assert "Verdeling: Minst belast → Om de beurt" in rows[2]

    as_admin.post("/i18n/setlang/", {"language": "en", "next": "/"})
    overview = as_admin.get(reverse("routing:beheer")).content.decode()
    assert "Changes" in overview and "Distribution: Least loaded → Round-robin" in overview


def test_a_change_in_the_django_admin_is_in_the_audit_trail_too(client, team):
    from django.contrib.auth import get_user_model

    root = get_user_model().objects.create_superuser("root", "root@voorbeeld-energie.nl", "x")
    client.force_login(root)
    row = TeamRouting.objects.get(team=team)
    response = client.post(
        f"/admin/routing/teamrouting/{row.pk}/change/",
        settings_post(team=team.pk, mode=RoutingMode.MANUAL, routed_channels='["chat"]', cap="4"),
    )
    assert response.status_code == 302
    row.refresh_from_db()
    assert (row.mode, row.cap) == (RoutingMode.MANUAL, 4)
    change = RoutingChange.objects.get()
    assert change.by_name == "Django-admin (root)" and change.team == team
    assert change.changes == {"mode": ["least_loaded", "manual"], "cap": [3, 4]}
