"""A contact-form ticket is handed out by the same routing engine as a chat, where its team's
routing says so (its routed channels include the web form); elsewhere it stays in the inbox."""

from __future__ import annotations

import pytest

from balie.routing.actions import set_presence
from balie.routing.models import RoutingMode, TeamRouting
from balie.tickets.models import Activity, Ticket

pytestmark = pytest.mark.django_db


def test_a_form_ticket_goes_to_an_online_agent_where_the_team_routes_the_form(
    cast, client, contact_data, django_capture_on_commit_callbacks
):
    TeamRouting.objects.create(
        team=cast.klantenservice,
        mode=RoutingMode.LEAST_LOADED,
        routed_channels=["chat", "webform"],
    )
    set_presence(cast.anna, "online")

    with django_capture_on_commit_callbacks(execute=True):
        client.post("/contact/", contact_data(topic="question"))

    ticket = Ticket.objects.get()
    assert (ticket.channel, ticket.team, ticket.assignee) == (
        "webform",
        cast.klantenservice,
        cast.anna,
    )
    assigned = Activity.objects.get(ticket=ticket, kind="ticket.assigned")
    assert assigned.actor_label == "Routering"


def test_a_form_ticket_stays_in_the_inbox_where_the_team_routes_only_chat(
    cast, client, contact_data, django_capture_on_commit_callbacks
):
    TeamRouting.objects.create(team=cast.klantenservice, routed_channels=["chat"])
    set_presence(cast.anna, "online")

    with django_capture_on_commit_callbacks(execute=True):
        client.post("/contact/", contact_data(topic="question"))

    ticket = Ticket.objects.get()
    assert ticket.team == cast.klantenservice and ticket.assignee is None
