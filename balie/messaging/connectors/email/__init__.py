"""E-mail: inbound by IMAP polling and the raw-MIME endpoint for MTAs, outbound over SMTP.

The connector only translates: parsing lives in `email_parsing` (with `email_quotes` for what
is new in a reply), sending in `email_sending`, polling in `imap_polling`.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from ..base import Connector, Delivery, InboundMessage, OutboundMessage, RawInbound

if TYPE_CHECKING:
    from balie.messaging.models import ChannelAccount


class EmailConnector(Connector):
    kind = "email"
    identity_kind = "email"
    can_send = True

    def parse(self, envelope: Any) -> list[InboundMessage]:
        from balie.messaging.connectors.email.parsing import parse_email

        return [parse_email(bytes(envelope.raw), fallback_id=envelope.external_id)]

    def send(self, outbound: OutboundMessage, account: ChannelAccount | None) -> Delivery:
        from balie.messaging.connectors.email.sending import send_email

        return send_email(outbound, account)

    def polls(self, account: ChannelAccount) -> bool:
        return bool(account.setting("imap_host"))

    def poll(self, account: ChannelAccount) -> Iterator[RawInbound]:
        from balie.messaging.connectors.email.imap import fetch_new

        return fetch_new(account)
