"""Request and response shapes of the tickets API. Lengths match the model fields; choices are
the model's own choices, so the OpenAPI schema lists every allowed value."""

from __future__ import annotations

from datetime import datetime
from enum import Enum, StrEnum
from typing import Any

from ninja import Field, Schema

from balie.customers.api_schemas import DbId, IdentityIn, InputSchema, text
from balie.customers.models import Tier

from .inbox import DEFAULT_SORT, SORTS, VIEWS
from .models import Channel, Priority, Status, TicketType

# django-ninja's own limit: bodies and query strings are bounded by Django's settings as well.
MAX_TEXT = 100_000

View = Enum("View", {slug.replace("-", "_"): slug for slug in VIEWS}, type=str)  # type: ignore[misc]
Sort = Enum("Sort", {slug: slug for slug in SORTS}, type=str)  # type: ignore[misc]


class NewTicketChannel(StrEnum):
    """Channels a ticket can be opened on through the API: e-mail and web form file the
    customer's first message; telefoon, balie and brief are contacts an agent logs."""

    EMAIL = Channel.EMAIL.value
    WEBFORM = Channel.WEBFORM.value
    PHONE = Channel.PHONE.value
    WALK_IN = Channel.WALK_IN.value
    LETTER = Channel.LETTER.value


class TicketFilters(Schema):
    view: View = Field("all", description="mine, unassigned, team, all_open, waiting, solved, all")  # type: ignore[assignment]
    status: list[Status] = Field(default_factory=list, max_length=10)
    team: DbId | None = None
    assignee: int | None = Field(None, ge=0, le=2**63 - 1, description="0 = niet toegewezen")
    channel: list[Channel] = Field(default_factory=list, max_length=20)
    priority: list[Priority] = Field(default_factory=list, max_length=10)
    type: list[TicketType] = Field(default_factory=list, max_length=10)
    tag: text(50) = ""  # type: ignore[valid-type]
    customer: DbId | None = None
    q: text(200) = Field("", description="Zoekt in onderwerp en berichten")  # type: ignore[valid-type]
    sort: Sort | None = Field(
        None,
        description=f"standaard {DEFAULT_SORT}; met q: nieuw (nieuwste tickets eerst)",
    )
    limit: int = Field(50, ge=1, le=100)
    cursor: text(500) = Field("", description="next_cursor van de vorige pagina")  # type: ignore[valid-type]


class MessagePage(Schema):
    after: int = Field(0, ge=0, le=2**63 - 1, description="next_cursor van de vorige pagina")
    limit: int = Field(50, ge=1, le=200)


class Named(Schema):
    id: int
    name: str


class CustomerSummary(Schema):
    id: int
    number: str | None
    name: str
    email: str
    tier: Tier


class TicketListItem(Schema):
    number: int
    subject: str
    status: Status
    priority: Priority
    type: TicketType
    channel: Channel
    team: Named | None
    assignee: Named | None
    customer: CustomerSummary
    tags: list[str]
    created_at: datetime
    updated_at: datetime
    last_message_at: datetime | None


class TicketList(Schema):
    items: list[TicketListItem]
    next_cursor: str | None


class Sender(Schema):
    name: str
    address: str
    agent: int | None
    identity: int | None


class AttachmentOut(Schema):
    id: int
    filename: str
    content_type: str
    size: int
    inline: bool
    url: str


class RefusedAttachmentOut(Schema):
    filename: str
    content_type: str
    size: int
    reason: str


class MessageOut(Schema):
    id: int
    direction: str
    channel: Channel
    created_at: datetime
    sender: Sender
    subject: str
    body_text: str
    body_html: str = Field(description="Al opgeschoond (nh3)")
    delivery_status: str
    thread_reason: str
    attachments: list[AttachmentOut]
    refused_attachments: list[RefusedAttachmentOut]


class MessageList(Schema):
    items: list[MessageOut]
    next_cursor: str | None


class TicketOut(TicketListItem):
    language: str
    claims: dict[str, Any]
    linked_to: int | None
    first_response_at: datetime | None
    solved_at: datetime | None
    closed_at: datetime | None
    messages: list[MessageOut]
    more_messages: bool = Field(
        description="Er zijn oudere berichten dan deze; haal ze op via /messages"
    )


class TicketIn(InputSchema):
    customer: DbId | None = Field(None, description="Bestaande klant (id), óf `identity`")
    identity: IdentityIn | None = Field(
        None, description="E-mailadres of telefoonnummer; de klant wordt gevonden of gemaakt"
    )
    name: text(200) = Field("", description="Naam van een nieuwe klant")  # type: ignore[valid-type]
    subject: text(255) = ""  # type: ignore[valid-type]
    text: text(MAX_TEXT, 1)  # type: ignore[valid-type]
    channel: NewTicketChannel
    team: DbId | None = None
    priority: Priority = Priority.NORMAL
    type: TicketType = TicketType.QUESTION


class TicketPatch(InputSchema):
    status: Status | None = None
    priority: Priority | None = None
    type: TicketType | None = None
    team: int | None = Field(None, ge=0, le=2**63 - 1, description="0 = geen team")
    assignee: int | None = Field(None, ge=0, le=2**63 - 1, description="0 = niet toegewezen")
    tags: list[text(50, 1)] | None = Field(None, max_length=50)  # type: ignore[valid-type]
    subject: text(255, 1) | None = None  # type: ignore[valid-type]


class ReplyIn(InputSchema):
    text: text(MAX_TEXT, 1)  # type: ignore[valid-type]
    html: text(MAX_TEXT) = Field("", description="Wordt opgeschoond (nh3) voor verzending")  # type: ignore[valid-type]
    status_after: Status | None = Field(None, description="Status van het ticket na verzending")
    keep_cc: list[text(254)] | None = Field(  # type: ignore[valid-type]
        None,
        max_length=50,
        description="De Cc-deelnemers die dit antwoord krijgen; weggelaten: allemaal, [] niemand",
    )


class NoteIn(InputSchema):
    text: text(MAX_TEXT, 1)  # type: ignore[valid-type]
