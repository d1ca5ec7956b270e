"""The connector interface: a connector translates between a provider's format and
`InboundMessage` / `OutboundMessage`. It knows nothing of tickets."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    from django.http import HttpRequest

    from balie.messaging.models import ChannelAccount, Envelope


class RejectedInput(Exception):
    """Input that cannot be accepted: a wrong signature, a bad token, a malformed payload.
    The message is the reason given to the sender (and kept in quarantine)."""

    def __init__(self, reason: str, *, status: int = 400) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status


@dataclass(frozen=True)
class Party:
    """A sender or recipient, normalised: kind is an identity kind ("email", "phone", …)."""

    kind: str
    value: str
    name: str = ""


@dataclass(frozen=True)
class InboundAttachment:
    filename: str
    content_type: str
    content: bytes
    content_id: str = ""
    inline: bool = False


@dataclass(frozen=True)
class RefusedAttachment:
    filename: str
    content_type: str
    size: int
    reason: str


class Automatic:
    """Values of `InboundMessage.automatic`."""

    NONE = ""
    AUTO_REPLY = "auto_reply"  # out-of-office, vacation, "we received your mail"
    BULK = "bulk"  # newsletters, machine notifications, list mail
    BOUNCE = "bounce"  # delivery status notification about a mail we sent
    RECEIPT = "receipt"  # read receipt (MDN)


@dataclass(frozen=True)
class InboundMessage:
    """One inbound message in the single shape every channel produces."""

    channel: str
    external_id: str
    sender: Party
    subject: str = ""
    text: str = ""  # the new text: quoted history and signature stripped
    html: str = ""  # sanitised HTML of the new part (may be empty)
    full_text: str = ""  # everything as received
    full_html: str = ""  # sanitised HTML as received
    sent_at: datetime | None = None
    message_id: str = ""  # e-mail Message-ID without <>
    in_reply_to: str = ""
    references: tuple[str, ...] = ()
    to: tuple[Party, ...] = ()
    cc: tuple[Party, ...] = ()
    attachments: tuple[InboundAttachment, ...] = ()
    refused_attachments: tuple[RefusedAttachment, ...] = ()
    automatic: str = Automatic.NONE
    automatic_reason: str = ""  # which header or part showed it
    bounced_message_ids: tuple[str, ...] = ()  # for bounces: Message-IDs of the returned mail
    bounce_detail: str = ""
    bounce_permanent: bool = True  # False for a delay notice: the mail may still arrive
    loop_marker: str = ""  # our own X-Balie-Instance header, when a mail of ours comes back
    # Facts the customer gave that are not verified: customer_number, order_number, topic,
    # phone, language, … (contact form); shown to agents, never trusted for identity.
    claims: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class OutboundAttachment:
    filename: str
    content_type: str
    content: bytes


@dataclass(frozen=True)
class OutboundMessage:
    channel: str
    ticket_number: int
    to: tuple[Party, ...]
    subject: str
    text: str
    html: str = ""
    cc: tuple[Party, ...] = ()
    from_address: str = ""
    from_name: str = ""
    message_id: str = ""
    in_reply_to: str = ""
    references: tuple[str, ...] = ()
    attachments: tuple[OutboundAttachment, ...] = ()
    language: str = "nl"
    automatic: bool = False  # an automatic acknowledgement: sent with Auto-Submitted


@dataclass(frozen=True)
class Delivery:
    ok: bool
    provider_id: str = ""
    error: str = ""
    retry: bool = True  # False for permanent failures


class Connector:
    kind: ClassVar[str] = ""

    def verify(self, request: HttpRequest) -> None:
        """Raise RejectedInput when the request is not from the provider."""

    def parse(self, envelope: Envelope) -> list[InboundMessage]:
        raise NotImplementedError

    def send(self, outbound: OutboundMessage, account: ChannelAccount | None) -> Delivery:
        raise NotImplementedError

    def poll(self, account: ChannelAccount) -> int:
        """Fetch new messages of a polled account, store envelopes; returns how many."""
        raise NotImplementedError

    def envelope_id(self, raw: bytes, meta: Mapping[str, Any]) -> str:
        """The external id under which a raw delivery is deduplicated."""
        import hashlib

        return "sha256:" + hashlib.sha256(raw).hexdigest()
