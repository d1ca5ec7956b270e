"""Polled channels (IMAP mailboxes, providers without webhooks): what the connector fetches is
stored as envelopes, one by one, through the same `receive` as every webhook."""

from __future__ import annotations

from balie.messaging.connectors import UnknownChannel, get_connector
from balie.messaging.models import ChannelAccount

from . import pipeline as ingest


def poll_account(account: ChannelAccount) -> int:
    """Fetch and store what is new on one account; returns how many envelopes were new. The
    connector hears that a delivery is stored when it is asked for the next one."""
    connector = get_connector(account.kind)
    stored = 0
    for item in connector.poll(account):
        _envelope, created = ingest.receive(
            channel=account.kind,
            account=account,
            raw=item.raw,
            meta=item.meta,
            external_id=item.external_id,
        )
        stored += created
    return stored


def polled_accounts() -> list[int]:
    """The active accounts whose connector fetches from the provider."""
    ids = []
    for account in ChannelAccount.objects.filter(is_active=True).order_by("id"):
        try:
            connector = get_connector(account.kind)
        except UnknownChannel:
            continue
        if connector.polls(account):
            ids.append(account.pk)
    return ids
