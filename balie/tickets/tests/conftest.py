"""Shared by the tickets REST API tests (test_api.py, test_api_writes.py): a JSON client with
a bearer token, and the tickets they read and change."""

from __future__ import annotations

import pytest

from balie.accounts.actions import create_api_token
from balie.core.actors import SYSTEM
from balie.tickets.models import DeliveryStatus, Ticket
from balie.tickets.tests.api_client import Api
from balie.tickets.tests.factories import MessageFactory, TicketFactory


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """The cast's users get a password; a fast hasher keeps the setup of each test short."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def as_anna(cast) -> Api:
    return Api(create_api_token(cast.anna, name="integratie", by=SYSTEM)[1])


@pytest.fixture
def as_bram(cast) -> Api:
    return Api(create_api_token(cast.bram, name="integratie", by=SYSTEM)[1])


@pytest.fixture
def billing_ticket(cast) -> Ticket:
    ticket = TicketFactory(
        customer=cast.carla, team=cast.klantenservice, subject="Voorschot te hoog"
    )
    MessageFactory(
        ticket=ticket,
        body_text="Mijn voorschot is veel te hoog sinds de verhuizing.",
        body_html="<p>Mijn voorschot is veel te hoog sinds de verhuizing.</p>",
        sender_address=cast.carla_email,
        sender_name="Carla Jansen",
        delivery_status=DeliveryStatus.RECEIVED,
    )
    return ticket


@pytest.fixture
def meter_ticket(cast) -> Ticket:
    """A ticket of the private team techniek: anna is not a member."""
    ticket = TicketFactory(customer=cast.carla, team=cast.techniek, subject="Slimme meter stuk")
    MessageFactory(ticket=ticket, body_text="De slimme meter geeft een foutcode E42.")
    return ticket
