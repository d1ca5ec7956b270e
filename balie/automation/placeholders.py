"""Placeholders in macros and rule replies: `{{ klant.naam }}` style, filled from a fixed list.

| Dutch | English | filled with |
| --- | --- | --- |
| `{{ klant.naam }}` | `{{ customer.name }}` | the customer's name (else "klant" / "customer") |
| `{{ klant.nummer }}` | `{{ customer.number }}` | the customer number |
| `{{ ticket.nummer }}` | `{{ ticket.number }}` | the ticket number, e.g. `#10023` |
| `{{ ticket.onderwerp }}` | `{{ ticket.subject }}` | the ticket's subject |
| `{{ ticket.uiterlijk }}` | `{{ ticket.due }}` | the next SLA due time, e.g. "woensdag 28 april, 12:00" |
| `{{ medewerker.naam }}` | `{{ agent.name }}` | the agent applying the macro (else the company) |
| `{{ bedrijf.naam }}` | `{{ company.name }}` | the company name |

Both spellings work in either language; dates follow the text's language. The text is never run
through a template engine: only these names are replaced, an unknown name is an error when the
macro or rule is saved (and left as it is if one slips through).
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from django.conf import settings
from django.utils import timezone, translation
from django.utils.formats import date_format

PLACEHOLDER = re.compile(r"\{\{\s*([a-z_]+\.[a-z_]+)\s*\}\}")

ALIASES = {
    "klant.naam": "customer.name",
    "klant.nummer": "customer.number",
    "ticket.nummer": "ticket.number",
    "ticket.onderwerp": "ticket.subject",
    "ticket.uiterlijk": "ticket.due",
    "medewerker.naam": "agent.name",
    "bedrijf.naam": "company.name",
}
NAMES = frozenset({*ALIASES, *ALIASES.values()})

FALLBACK_CUSTOMER = {"nl": "klant", "en": "customer"}
NO_DUE_TIME = {"nl": "zo snel mogelijk", "en": "as soon as possible"}


def unknown_placeholders(text: str) -> list[str]:
    """Names between {{ }} that are not placeholders (for form validation)."""
    return sorted({name for name in PLACEHOLDER.findall(text) if name not in NAMES})


def format_moment(moment: datetime, language: str) -> str:
    """ "woensdag 28 april, 12:00" / "Wednesday 28 April, 12:00" in Europe/Amsterdam."""
    with translation.override(language if language in ("nl", "en") else "nl"):
        return date_format(timezone.localtime(moment), "l j F, H:i")


def next_due_time(ticket: Any) -> datetime | None:
    """The next moment the customer is promised something: the SLA engineer's due fields on
    the ticket (first or next response, else resolution)."""
    for name in ("first_response_due_at", "next_response_due_at", "resolution_due_at"):
        moment = getattr(ticket, name, None)
        if moment:
            return moment
    return None


def placeholder_values(ticket: Any, *, language: str, agent: Any = None) -> dict[str, str]:
    customer = ticket.customer
    due = next_due_time(ticket)
    values = {
        "customer.name": customer.name or FALLBACK_CUSTOMER.get(language, "klant"),
        "customer.number": customer.number or "",
        "ticket.number": f"#{ticket.pk}",
        "ticket.subject": ticket.subject,
        "ticket.due": format_moment(due, language) if due else NO_DUE_TIME.get(language, ""),
        "agent.name": getattr(agent, "display_name", "") or settings.BALIE_COMPANY_NAME,
        "company.name": settings.BALIE_COMPANY_NAME,
    }
    values.update({dutch: values[english] for dutch, english in ALIASES.items()})
    return values


def fill_placeholders(text: str, ticket: Any, *, language: str, agent: Any = None) -> str:
    values = placeholder_values(ticket, language=language, agent=agent)
    return PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), text)
