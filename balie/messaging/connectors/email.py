"""E-mail: inbound by IMAP polling and the raw-MIME endpoint, outbound over SMTP."""

from __future__ import annotations

import email
import email.policy
from collections.abc import Mapping
from email.utils import getaddresses, parseaddr
from typing import Any

from .base import Connector, InboundMessage, Party, RejectedInput


def _ids(value: str) -> tuple[str, ...]:
    return tuple(part.strip("<> \t\r\n") for part in value.split() if part.strip("<> \t\r\n"))


class EmailConnector(Connector):
    kind = "email"

    def envelope_id(self, raw: bytes, meta: Mapping[str, Any]) -> str:
        return super().envelope_id(raw, meta)

    def parse(self, envelope: Any) -> list[InboundMessage]:
        msg = email.message_from_bytes(bytes(envelope.raw), policy=email.policy.default)
        name, address = parseaddr(str(msg.get("From", "")))
        if not address or "@" not in address:
            raise RejectedInput("e-mail zonder geldig From-adres")
        body = msg.get_body(preferencelist=("plain", "html"))
        text = body.get_content() if body is not None else ""
        message_id = (str(msg.get("Message-ID", "")).strip().strip("<>")) or envelope.external_id
        return [
            InboundMessage(
                channel="email",
                external_id=message_id,
                sender=Party("email", address.lower(), name),
                subject=str(msg.get("Subject", "")),
                text=text,
                full_text=text,
                message_id=message_id,
                in_reply_to=(_ids(str(msg.get("In-Reply-To", ""))) or ("",))[0],
                references=_ids(str(msg.get("References", ""))),
                cc=tuple(
                    Party("email", a.lower(), n)
                    for n, a in getaddresses([str(msg.get("Cc", ""))])
                    if a
                ),
            )
        ]
