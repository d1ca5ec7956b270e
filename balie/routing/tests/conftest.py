from __future__ import annotations

import pytest

from balie.accounts.models import Role
from balie.accounts.tests.factories import AgentFactory, UserFactory
from balie.core.actors import SYSTEM
from balie.customers.actions import create_customer
from balie.routing.models import PresenceState, TeamRouting
from balie.tickets.actions import create_ticket


@pytest.fixture
def team(cast):
    TeamRouting.objects.create(team=cast.klantenservice)
    return cast.klantenservice


@pytest.fixture
def make_agent(team):
    from balie.routing.actions import set_presence

    def _make(name: str, *, online: bool = True, role: str = Role.AGENT, teams=None):
        agent = AgentFactory(
            user=UserFactory(username=name.lower()),
            display_name=name,
            role=role,
            teams=teams or [team],
        )
        if online:
            set_presence(agent, PresenceState.ONLINE)
        return agent

    return _make


@pytest.fixture
def make_customer(db):
    count = iter(range(1, 10_000))

    def _make(tier: str = "standard", name: str = ""):
        n = next(count)
        customer = create_customer(
            name=name or f"Klant {n}", identities=[("email", f"klant{n}@example.nl")], by=SYSTEM
        )
        customer.tier = tier
        customer.save(update_fields=["tier"])
        return customer

    return _make


@pytest.fixture
def new_ticket(team, make_customer):
    def _new(channel: str = "chat", *, customer=None, tier: str = "standard", **fields):
        fields.setdefault("team", team)
        return create_ticket(
            customer=customer or make_customer(tier),
            subject=fields.pop("subject", "Vraag"),
            channel=channel,
            by=SYSTEM,
            **fields,
        )

    return _new
