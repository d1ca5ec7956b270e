"""The registry of connectors (settings.BALIE_CONNECTORS) and what the outbox does with a reply
on a channel that has no connector, or one that cannot send."""

from __future__ import annotations

import pytest

from balie.core.actors import SYSTEM
from balie.messaging.connectors import UnknownChannel, can_send, channels, get_connector
from balie.messaging.connectors.email import EmailConnector
from balie.messaging.models import OutboxItem, OutboxStatus
from balie.tickets import actions
from balie.tickets.models import DeliveryStatus


def test_every_registered_channel_loads_its_connector():
    for kind in channels():
        connector = get_connector(kind)
        assert connector.kind == kind
    assert isinstance(get_connector("email"), EmailConnector)
    assert get_connector("email") is get_connector("email")  # made once per process


def test_a_channel_without_a_line_has_no_connector_and_cannot_send(settings):
    with pytest.raises(UnknownChannel):
        get_connector("sms")
    assert can_send("email") is True
    assert can_send("webform") is False  # the form has no way back
    assert can_send("sms") is False


def test_a_line_naming_another_channels_connector_is_refused(settings):
    settings.BALIE_CONNECTORS = {
        **settings.BALIE_CONNECTORS,
        "sms": "balie.messaging.connectors.email.EmailConnector",
    }
    with pytest.raises(UnknownChannel, match="'email', not of 'sms'"):
        get_connector("sms")


@pytest.mark.django_db
@pytest.mark.parametrize("channel", ["sms", "webform"])
def test_a_reply_that_no_connector_can_send_fails_at_once_with_its_reason(cast, channel):
    ticket = actions.create_ticket(
        customer=cast.carla, subject="Meterstand", channel="email", by=SYSTEM
    )
    message = actions.add_reply(ticket, by=cast.anna, text="Dank voor uw bericht.")
    item = OutboxItem.objects.get(message=message)
    # The reply was queued on a channel that cannot send (a ticket moved, a line removed).
    OutboxItem.objects.filter(pk=item.pk).update(
        channel=channel, status=OutboxStatus.PENDING, attempts=0
    )
    from balie.messaging import outbox

    outbox.deliver(item.pk)
    item.refresh_from_db()
    message.refresh_from_db()
    assert item.status == OutboxStatus.FAILED
    assert item.attempts == 1  # not retried
    assert channel in item.last_error
    assert message.delivery_status == DeliveryStatus.FAILED
    assert channel in message.delivery_error
