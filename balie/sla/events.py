"""Event names of SLA clocks (audit-trail kinds and realtime events)."""

from balie.tickets.events import EventKind

SLA_WARNING = EventKind.SLA_WARNING
SLA_BREACHED = EventKind.SLA_BREACHED
