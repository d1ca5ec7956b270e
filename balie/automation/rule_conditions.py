"""The conditions of a rule: a JSON list, every item must hold.

Each condition is `{"field": ..., "op": ..., "value": ...}`:

| field | ops | value |
| --- | --- | --- |
| status, priority, type, channel, language, tier | is, is_not, in, not_in | a code, or a list for in / not_in |
| sla | is, is_not, in, not_in | on_track, warning, breached or none (see `sla_state`) |
| team | is, is_not, is_empty, is_not_empty | a team slug |
| assignee | is_empty, is_not_empty | — |
| subject, body, text (subject or body) | contains, not_contains | words, case-insensitive |
| tag | has, has_not | a tag name |
| business_hours | is | true (within opening hours) or false: the calendar of the ticket's channel and team at the moment of the event |

`validate_conditions` checks the shape and the values and returns a list of Dutch errors;
`conditions_hold` evaluates them. Nothing is ever evaluated as code.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.core.exceptions import ObjectDoesNotExist
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from balie.core.actors import Actor
from balie.customers.models import Tier
from balie.tickets.models import Channel, Direction, Message, Priority, Status, Ticket, TicketType


class SlaState(models.TextChoices):
    """Where a ticket stands against its SLA at a moment (the `sla` condition)."""

    ON_TRACK = "on_track", gettext_lazy("Op schema")
    WARNING = "warning", gettext_lazy("Waarschuwing (deadline nadert)")
    BREACHED = "breached", gettext_lazy("Overschreden")
    NONE = "none", gettext_lazy("Geen lopende SLA-klok")


CHOICE_FIELDS: dict[str, list[str]] = {
    "status": list(Status.values),
    "priority": list(Priority.values),
    "type": list(TicketType.values),
    "channel": list(Channel.values),
    "language": ["nl", "en", "de", "fr"],
    "tier": list(Tier.values),
    "sla": list(SlaState.values),
}
CHOICE_OPS = ("is", "is_not", "in", "not_in")
TEXT_FIELDS = ("subject", "body", "text")
TEXT_OPS = ("contains", "not_contains")
OPS: dict[str, tuple[str, ...]] = {
    **dict.fromkeys(CHOICE_FIELDS, CHOICE_OPS),
    "team": ("is", "is_not", "is_empty", "is_not_empty"),
    "assignee": ("is_empty", "is_not_empty"),
    **dict.fromkeys(TEXT_FIELDS, TEXT_OPS),
    "tag": ("has", "has_not"),
    "business_hours": ("is",),
}


@dataclass
class Occurrence:
    """One event on one ticket, as the rules see it."""

    ticket: Ticket
    event: str
    by: Actor | None  # None: a preview of what a rule would match, nobody acted
    message: Message | None = None
    data: dict[str, Any] = field(default_factory=dict)
    at: datetime = field(default_factory=timezone.now)
    # Read when first needed; the preview fills them for many tickets at once.
    _body: str | None = None
    _tags: frozenset[str] | None = None
    _running_clocks: list[tuple[Any, Any]] | None = None

    @property
    def tags(self) -> frozenset[str]:
        if self._tags is None:
            self._tags = frozenset(self.ticket.tags.values_list("name", flat=True))
        return self._tags

    @property
    def body(self) -> str:
        if self._body is None:
            message = self.message or (
                self.ticket.messages.filter(direction=Direction.INBOUND)
                .order_by("-created_at", "-id")
                .first()
            )
            self._body = message.body_text if message else ""
        return self._body


def validate_conditions(conditions: Any) -> list[str]:
    """Dutch errors, each prefixed with the number of its condition; empty when all is well."""
    if not isinstance(conditions, list):
        return [_("Voorwaarden moeten een lijst zijn.")]
    errors: list[str] = []
    for number, condition in enumerate(conditions, start=1):
        prefix = _("Voorwaarde %(n)s: ") % {"n": number}
        errors += [prefix + error for error in condition_errors(condition)]
    return errors


def condition_errors(condition: Any) -> list[str]:
    """What is wrong with one condition, in Dutch (empty when it is good)."""
    from balie.accounts.models import Team

    if not isinstance(condition, dict):
        return [_("moet een object zijn.")]
    errors: list[str] = []
    name, op, value = condition.get("field"), condition.get("op"), condition.get("value")
    unknown = set(condition) - {"field", "op", "value"}
    if unknown:
        errors.append(_("onbekende sleutels %(k)s.") % {"k": ", ".join(sorted(map(str, unknown)))})
    if not isinstance(name, str) or name not in OPS:
        return [*errors, _("onbekend veld %(f)r.") % {"f": name}]
    if not isinstance(op, str) or op not in OPS[name]:
        return [
            *errors,
            _("bewerking %(op)r past niet bij %(f)s (kies uit %(ops)s).")
            % {"op": op, "f": name, "ops": ", ".join(OPS[name])},
        ]
    if name in CHOICE_FIELDS:
        allowed = CHOICE_FIELDS[name]
        values = value if op in ("in", "not_in") else [value]
        if not isinstance(values, list) or not values:
            errors.append(_("geef een lijst waarden."))
        elif bad := [v for v in values if not isinstance(v, str) or v not in allowed]:
            errors.append(
                _("ongeldige waarde %(v)s voor %(f)s (kies uit %(ok)s).")
                % {"v": ", ".join(map(str, bad)), "f": name, "ok": ", ".join(allowed)}
            )
    elif name == "team" and op in ("is", "is_not"):
        if not isinstance(value, str) or not Team.objects.filter(slug=value).exists():
            errors.append(_("onbekend team %(v)r.") % {"v": value})
    elif name in TEXT_FIELDS or name == "tag":
        if not isinstance(value, str) or not value.strip():
            errors.append(_("geef een tekst."))
        elif len(value) > 200:
            errors.append(_("de tekst is te lang (hooguit 200 tekens)."))
    elif name == "business_hours" and not isinstance(value, bool):
        errors.append(_("waarde moet true of false zijn."))
    return errors


def sla_state(ticket: Ticket, at: datetime, running: list[tuple[Any, Any]] | None = None) -> str:
    """`breached` once any target of the ticket was missed (or a running clock is past its due
    moment), `warning` while a running clock is past its warning moment, `on_track` while
    clocks run in time, `none` without a running clock (none, paused or all met)."""
    from balie.sla.models import ClockState, SlaClock

    if running is None:
        running = list(
            SlaClock.objects.filter(ticket_id=ticket.pk, state=ClockState.RUNNING).values_list(
                "warn_at", "due_at"
            )
        )
    if ticket.sla_breached_at is not None or any(due and due <= at for _w, due in running):
        return SlaState.BREACHED
    if any(warn and warn <= at for warn, _d in running):
        return SlaState.WARNING
    return SlaState.ON_TRACK if running else SlaState.NONE


def _choice_value(occurrence: Occurrence, name: str) -> str:
    ticket = occurrence.ticket
    if name == "tier":
        return ticket.customer.tier
    if name == "sla":
        return sla_state(ticket, occurrence.at, occurrence._running_clocks)
    return str(getattr(ticket, name))


def _within_business_hours(occurrence: Occurrence) -> bool:
    from balie.sla import business_time
    from balie.sla.calendars import calendar_for

    ticket = occurrence.ticket
    try:
        calendar = calendar_for(channel=ticket.channel, team_id=ticket.team_id)
    except ObjectDoesNotExist:
        return True  # no calendar configured: always open
    return business_time.is_open(calendar, occurrence.at)


def _holds(condition: dict[str, Any], occurrence: Occurrence) -> bool:
    name, op, value = condition["field"], condition["op"], condition.get("value")
    ticket = occurrence.ticket
    if name in CHOICE_FIELDS:
        current = _choice_value(occurrence, name)
        checks: dict[str, Callable[[], bool]] = {
            "is": lambda: current == value,
            "is_not": lambda: current != value,
            "in": lambda: current in value,
            "not_in": lambda: current not in value,
        }
        return checks[op]()
    if name == "team":
        slug = ticket.team.slug if ticket.team_id and ticket.team else None
        return {
            "is": slug == value,
            "is_not": slug != value,
            "is_empty": slug is None,
            "is_not_empty": slug is not None,
        }[op]
    if name == "assignee":
        return (ticket.assignee_id is None) == (op == "is_empty")
    if name in TEXT_FIELDS:
        haystack = {
            "subject": ticket.subject,
            "body": occurrence.body if name != "subject" else "",
            "text": f"{ticket.subject}\n{occurrence.body}",
        }[name].casefold()
        found = str(value).casefold() in haystack
        return found if op == "contains" else not found
    if name == "tag":
        has = str(value).strip().lower() in occurrence.tags
        return has if op == "has" else not has
    if name == "business_hours":
        return _within_business_hours(occurrence) == bool(value)
    return False


def conditions_hold(conditions: list[dict[str, Any]], occurrence: Occurrence) -> bool:
    return all(_holds(condition, occurrence) for condition in conditions)
