import pytest

from balie.core.actors import SYSTEM
from balie.messaging.connectors.base import InboundMessage, Party
from balie.tickets.actions import add_inbound_message, add_note, create_ticket


@pytest.fixture
def write_in(cast):
    """A customer writes in: a ticket with one inbound message, optionally for a team."""
    counter = iter(range(1, 10_000))

    def _write_in(subject: str, text: str, *, team=None, customer=None):
        customer = customer or cast.carla
        ticket = create_ticket(
            customer=customer, subject=subject, channel="email", team=team, by=SYSTEM
        )
        add_inbound_message(
            ticket,
            InboundMessage(
                channel="email",
                external_id=f"search-test-{next(counter)}",
                sender=Party("email", cast.carla_email, customer.name),
                subject=subject,
                text=text,
            ),
            by=customer,
        )
        return ticket

    return _write_in


@pytest.fixture
def note_on():
    def _note(ticket, agent, text):
        return add_note(ticket, by=agent, text=text)

    return _note
