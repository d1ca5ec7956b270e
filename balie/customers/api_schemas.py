"""Request and response shapes of the customers API, and the text and id types every Balie
API schema uses: lengths match the model fields, and text that a database cannot store (NUL
bytes, lone surrogates) is refused with a reason before it reaches an action."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from django.utils.translation import gettext as _
from ninja import Field, Schema
from pydantic import AfterValidator, model_validator

from .models import IdentityKind, Tier

# Primary keys are 64-bit (BigAutoField); anything larger cannot exist.
MAX_ID = 2**63 - 1


def storable_text(value: str) -> str:
    """Text a database can store: no NUL bytes (PostgreSQL refuses them) and valid UTF-8."""
    if "\x00" in value:
        raise ValueError(_("mag geen NUL-tekens bevatten"))
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError(_("bevat tekens die geen geldige UTF-8 zijn")) from None
    return value


Text = Annotated[str, AfterValidator(storable_text)]
DbId = Annotated[int, Field(ge=1, le=MAX_ID)]


def text(max_length: int, min_length: int = 0) -> type[str]:
    """A storable string of at most `max_length` characters (the model field's max_length)."""
    return Annotated[  # type: ignore[return-value]
        str,
        Field(min_length=min_length, max_length=max_length),
        AfterValidator(storable_text),
    ]


class InputSchema(Schema):
    """A request body: a JSON object, never a list or a bare value (django-ninja would otherwise
    read the defaults off any value, so that `[null]` would create an empty customer)."""

    @model_validator(mode="before")
    @classmethod
    def _an_object(cls, data: Any) -> Any:
        if not isinstance(getattr(data, "_obj", data), dict):
            raise ValueError(_("moet een JSON-object zijn"))
        return data


class IdentityIn(InputSchema):
    kind: IdentityKind = Field(description="email, phone, whatsapp, messenger, instagram of x")
    value: text(254, 1)  # type: ignore[valid-type]
    display_name: text(200) = ""  # type: ignore[valid-type]


class IdentityOut(Schema):
    id: int
    kind: str
    value: str
    display_name: str
    verified: bool


class CustomerIn(InputSchema):
    name: text(200) = ""  # type: ignore[valid-type]
    number: text(20) = Field("", description="Klantnummer; leeg = automatisch toegekend")  # type: ignore[valid-type]
    language: Annotated[str, Field(pattern=r"^[a-z]{2}(-[a-z]{2})?$")] = "nl"
    tier: Tier = Tier.STANDARD
    notes: text(10_000) = ""  # type: ignore[valid-type]
    identities: list[IdentityIn] = Field(default_factory=list, max_length=20)


class MergeIn(InputSchema):
    source: DbId = Field(description="De klant die wordt opgenomen in deze klant")


class CustomerTicketOut(Schema):
    number: int
    subject: str
    status: str
    channel: str
    created_at: datetime
    last_message_at: datetime | None


class CustomerListItem(Schema):
    id: int
    number: str | None
    name: str
    language: str
    tier: Tier
    created_at: datetime


class CustomerList(Schema):
    items: list[CustomerListItem]
    next_cursor: str | None


class CustomerOut(CustomerListItem):
    notes: str
    contract_numbers: list[str]
    merged_into: int | None
    identities: list[IdentityOut]
    recent_tickets: list[CustomerTicketOut]


class ErrorOut(Schema):
    detail: str
