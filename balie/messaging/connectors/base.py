"""The connector interface: a connector translates between a provider's format and
`InboundMessage` / `OutboundMessage`. It knows nothing of tickets."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar

from django.utils.translation import gettext as _

if TYPE_CHECKING:
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
class EmailDetails:
    """What only an e-mail has: its ids and threading headers, its other recipients, its
    whole HTML, what a bounce reports, and our own loop marker when a mail of ours comes back."""

    message_id: str = ""  # Message-ID without <>
    in_reply_to: str = ""
    references: tuple[str, ...] = ()
    to: tuple[Party, ...] = ()
    cc: tuple[Party, ...] = ()
    # How many addresses To and Cc listed when that is more than were read (the first
    # BALIE_MAX_RECIPIENTS_READ of each); 0 when `to` and `cc` are the whole lists.
    to_listed: int = 0
    cc_listed: int = 0
    full_html: str = ""  # sanitised HTML as received
    bounced_message_ids: tuple[str, ...] = ()  # for bounces: Message-IDs of the returned mail
    bounce_detail: str = ""
    bounce_permanent: bool = True  # False for a delay notice: the mail may still arrive
    loop_marker: str = ""  # our own X-Balie-Instance header, when a mail of ours comes back


NO_EMAIL = EmailDetails()


@dataclass(frozen=True)
class InboundMessage:
    """One inbound message in the single shape every channel produces. What only one channel
    has lives in its own part (`email`)."""

    channel: str
    external_id: str  # the provider's id of the message (e-mail: its Message-ID)
    sender: Party
    subject: str = ""
    text: str = ""  # the new text: quoted history and signature stripped
    html: str = ""  # sanitised HTML of the new part (may be empty)
    full_text: str = ""  # everything as received
    sent_at: datetime | None = None
    attachments: tuple[InboundAttachment, ...] = ()
    refused_attachments: tuple[RefusedAttachment, ...] = ()
    automatic: str = Automatic.NONE
    automatic_reason: str = ""  # which header or part showed it
    # Facts the customer gave that are not verified: customer_number, order_number, topic,
    # phone, language, … (contact form); shown to agents, never trusted for identity.
    claims: Mapping[str, str] = field(default_factory=dict)
    email: EmailDetails | None = None  # e-mail only

    @property
    def mail(self) -> EmailDetails:
        """The e-mail part, empty for other channels (so readers need no None check)."""
        return self.email or NO_EMAIL


class DeliveryState:
    """Values of `DeliveryReceipt.status`."""

    SENT = "sent"
    DELIVERED = "delivered"
    READ = "read"
    FAILED = "failed"


@dataclass(frozen=True)
class DeliveryReceipt:
    """A provider's status callback about a message we sent: not a message of its own."""

    provider_id: str  # the id the provider gave our message when it was sent
    status: str  # a DeliveryState value
    error: str = ""
    at: datetime | None = None


Parsed = InboundMessage | DeliveryReceipt


@dataclass(frozen=True)
class WebhookRequest:
    """A provider's call to `/webhooks/<channel>/<account>/`, as plain data: the body is read
    (and bounded) before the connector sees it, so `verify` and `unpack` need no server."""

    method: str  # "GET" (a handshake) or "POST" (a delivery)
    headers: Mapping[str, str]  # names in lower case
    query: Mapping[str, str]  # the first value of each query parameter
    body: bytes = b""
    content_type: str = ""  # without parameters, lower case

    def header(self, name: str) -> str:
        return self.headers.get(name.lower(), "")


@dataclass(frozen=True)
class RawInbound:
    """One delivery to store as an envelope: the provider's id of it (deduplicated per account,
    so a provider's retry files nothing twice), its raw bytes and what else to keep with it."""

    external_id: str
    raw: bytes
    meta: Mapping[str, Any] = field(default_factory=dict)


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
    retry_after: float | None = None  # seconds the provider asked us to wait before a retry


@dataclass(frozen=True)
class ReplyContext:
    """Plain data about the conversation a reply belongs to: the channel, the customer's
    identity on it, the provider ids of the earlier messages (oldest first) and the other
    participants. A connector addresses a reply from this alone."""

    channel: str
    identity_kind: str
    identity_value: str
    earlier_ids: tuple[str, ...] = ()
    participants: tuple[Party, ...] = ()


@dataclass(frozen=True)
class Addressing:
    """Who a reply goes to on a channel, and how it threads (the id it answers, the chain)."""

    to: tuple[Party, ...]
    cc: tuple[Party, ...] = ()
    in_reply_to: str = ""
    references: tuple[str, ...] = ()


class Connector:
    """One channel. See docs/connectors.md for what each member must do."""

    kind: ClassVar[str] = ""  # the channel code, as in settings.BALIE_CONNECTORS
    identity_kind: ClassVar[str] = ""  # the customer identity a reply on this channel goes to
    # Whether replies go out on this channel (`send`): the reply box refuses an answer on a
    # channel that cannot send, and the outbox fails such a reply at once.
    can_send: ClassVar[bool] = False
    # Whether the provider calls `/webhooks/<kind>/<account>/` (then `verify` must be written):
    # for any other channel that route answers 404.
    receives_webhooks: ClassVar[bool] = False
    # Whether only Balie's own code stores this channel's envelopes (never an outside request),
    # so that their meta may say where the message is filed (`intake.pipeline.FILED_IN`).
    own_envelopes: ClassVar[bool] = False

    def shown_when_stored(self, ticket_number: int) -> bool:
        """Whether an answer in this ticket reaches the customer the moment it is stored,
        without the outbox (a live chat: its sockets are told after commit): the answer then
        gets no outbox entry and counts as sent."""
        return False

    def verify(self, request: WebhookRequest, account: ChannelAccount) -> str | None:
        """Check that a webhook call comes from the provider, before anything is stored: raise
        RejectedInput(reason, status=401) when its signature or token is missing, 403 when
        it is wrong. For a handshake (GET) return the text to answer with (Meta's
        hub.challenge); None refuses the GET. Refuses everything unless written."""
        raise RejectedInput(_("dit kanaal kan geen webhooks controleren"), status=403)

    def unpack(self, request: WebhookRequest, account: ChannelAccount) -> list[RawInbound]:
        """The deliveries in a verified webhook call, each to be stored as an envelope (a
        provider may batch several messages and status updates in one call). Raise
        RejectedInput (status 400) for a body that is not what the provider sends. By default
        the whole body is one delivery, deduplicated on its bytes."""
        return [RawInbound(self.envelope_id(request.body, {}), request.body)]

    def parse(self, envelope: Envelope) -> Sequence[InboundMessage | DeliveryReceipt]:
        """Pure and cheap (no network): it may run more than once."""
        raise NotImplementedError

    def address(self, context: ReplyContext) -> Addressing:
        """Recipients and threading of a reply: by default to the customer's identity on the
        channel, without threading (a channel that quotes the message it answers, such as
        WhatsApp's context, sets `in_reply_to` from `context.earlier_ids`)."""
        return Addressing(to=(Party(context.identity_kind, context.identity_value),))

    def send(self, outbound: OutboundMessage, account: ChannelAccount | None) -> Delivery:
        raise NotImplementedError

    def polls(self, account: ChannelAccount) -> bool:
        """Whether this account is fetched from the provider (`poll`) on a schedule."""
        return False

    def poll(self, account: ChannelAccount) -> Iterator[RawInbound]:
        """Fetch what is new on a polled account, one delivery at a time: the caller stores
        each before asking for the next, so the code after a `yield` may tell the provider the
        delivery is safe (mark it read, delete it). Record errors on the account; never
        raise for a provider that is down."""
        return iter(())

    def envelope_id(self, raw: bytes, meta: Mapping[str, Any]) -> str:
        """The external id under which a raw delivery is deduplicated."""
        return "sha256:" + hashlib.sha256(raw).hexdigest()
