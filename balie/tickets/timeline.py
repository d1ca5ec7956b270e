"""What each event says on the ticket's timeline, in words: one entry per `EventKind` (a test
renders every kind). The actor's name comes first ("Anna de Vries wees het ticket toe aan …")."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext

from balie.core.templatetags.balie_ui import _label

from .events import EventKind
from .models import Channel, DeliveryStatus, Priority, Status, TicketType

FIELD_LABELS = {
    "status": (gettext_lazy("status"), Status),
    "priority": (gettext_lazy("prioriteit"), Priority),
    "type": (gettext_lazy("soort"), TicketType),
    "subject": (gettext_lazy("onderwerp"), None),
    "team": (gettext_lazy("team"), None),
    "assignee": (gettext_lazy("behandelaar"), None),
    "tags": (gettext_lazy("labels"), None),
}


def _changes(data: dict[str, Any]) -> str:
    parts = []
    for field, change in data.items():
        label, choices = FIELD_LABELS.get(field, (field, None))
        if not isinstance(change, dict):
            continue
        parts.append(
            _("%(field)s van %(old)s naar %(new)s")
            % {
                "field": label,
                "old": _label(choices, change.get("from")),
                "new": _label(choices, change.get("to")),
            }
        )
    return "; ".join(parts)


def _moment(value: Any) -> str:
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        return str(value or "")
    if timezone.is_aware(moment):
        moment = timezone.localtime(moment)
    return date_format(moment, pgettext("datumnotatie", "j b Y H:i"))


def _clock(data: dict[str, Any]) -> str:
    from balie.sla.models import ClockKind

    return _label(ClockKind, data.get("kind")).lower()


def _created(data: dict[str, Any]) -> str:
    return _("maakte het ticket aan via %(channel)s") % {
        "channel": _label(Channel, data.get("channel"))
    }


def _assigned(data: dict[str, Any]) -> str:
    if data.get("to"):
        return _("wees het ticket toe aan %(agent)s") % {"agent": data["to"]}
    return _("haalde de toewijzing weg")


def _received(data: dict[str, Any]) -> str:
    channel = _label(Channel, data.get("channel"))
    if data.get("logged"):
        return _("legde een contact vast via %(channel)s") % {"channel": channel}
    return _("bericht ontvangen via %(channel)s") % {"channel": channel}


def _sent(data: dict[str, Any]) -> str:
    to = ", ".join(data.get("to") or [])
    if data.get("automatic"):
        return _("automatisch antwoord verstuurd aan %(to)s") % {"to": to}
    return _("stuurde een antwoord via %(channel)s aan %(to)s") % {
        "channel": _label(Channel, data.get("channel")),
        "to": to,
    }


def _macro(data: dict[str, Any]) -> str:
    if data.get("sent"):
        return _("paste de macro ‘%(name)s’ toe en verstuurde het antwoord") % {
            "name": data.get("name", "")
        }
    return _("paste de macro ‘%(name)s’ toe") % {"name": data.get("name", "")}


def _breached(data: dict[str, Any]) -> str:
    if data.get("met_late"):
        return _("SLA-doel %(clock)s te laat gehaald (deadline %(due)s)") % {
            "clock": _clock(data),
            "due": _moment(data.get("due_at")),
        }
    return _("SLA-doel %(clock)s overschreden (deadline %(due)s)") % {
        "clock": _clock(data),
        "due": _moment(data.get("due_at")),
    }


TEXTS: dict[EventKind, Callable[[dict[str, Any]], str]] = {
    EventKind.TICKET_CREATED: _created,
    EventKind.TICKET_UPDATED: lambda d: _("wijzigde %(changes)s") % {"changes": _changes(d)},
    EventKind.TICKET_ASSIGNED: _assigned,
    EventKind.TICKET_REOPENED: lambda d: (
        _("heropende het ticket (was %(status)s)") % {"status": _label(Status, d.get("from"))}
    ),
    EventKind.TICKET_CUSTOMER_CHANGED: lambda d: (
        _("klant gewijzigd van %(old)s naar %(new)s") % {"old": d.get("from"), "new": d.get("to")}
    ),
    EventKind.TICKET_SNOOZED: lambda d: (
        _("zette het ticket in de wacht tot %(until)s") % {"until": _moment(d.get("until"))}
    ),
    EventKind.TICKET_SNOOZE_ENDED: lambda d: _("de wachttijd is voorbij: het ticket is weer open"),
    EventKind.MESSAGE_RECEIVED: _received,
    EventKind.MESSAGE_SENT: _sent,
    EventKind.MESSAGE_DELIVERY_UPDATED: lambda d: (
        _("bezorgstatus gewijzigd: %(status)s")
        % {"status": _label(DeliveryStatus, d.get("status"))}
    ),
    EventKind.MESSAGE_BOUNCED: lambda d: (
        _("bericht was onbestelbaar: %(error)s") % {"error": d.get("error", "")}
    ),
    EventKind.NOTE_ADDED: lambda d: _("voegde een interne notitie toe"),
    EventKind.MACRO_APPLIED: _macro,
    EventKind.SLA_WARNING: lambda d: (
        _("SLA-waarschuwing: %(clock)s moet uiterlijk %(due)s")
        % {"clock": _clock(d), "due": _moment(d.get("due_at"))}
    ),
    EventKind.SLA_BREACHED: _breached,
    EventKind.RULE_APPLIED: lambda d: _("paste regel ‘%(name)s’ toe") % {"name": d.get("name", "")},
    EventKind.RULE_FAILED: lambda d: (
        _("regel ‘%(name)s’ mislukte en is teruggedraaid: %(error)s")
        % {"name": d.get("name", ""), "error": d.get("error", "")}
    ),
    EventKind.LIFECYCLE_REMINDED: lambda d: _("stuurde de wachtende klant een herinnering"),
    EventKind.LIFECYCLE_FINAL_NOTICE_SENT: lambda d: _(
        "stuurde de wachtende klant een laatste herinnering"
    ),
    EventKind.LIFECYCLE_SOLVED: lambda d: _(
        "loste het ticket automatisch op: de klant reageerde niet"
    ),
    EventKind.LIFECYCLE_CLOSED: lambda d: (
        _("sloot het ticket automatisch, %(days)s dagen na het oplossen")
        % {"days": d.get("after_days", "")}
    ),
}


def activity_text(activity: Any) -> str:
    """What happened, in words, for one audit-trail entry; an entry of a kind no longer made
    shows its name."""
    try:
        describe = TEXTS[EventKind(activity.kind)]
    except ValueError:
        return str(activity.kind)
    return describe(activity.data or {})
