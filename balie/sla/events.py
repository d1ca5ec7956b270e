"""Event names of SLA clocks (audit-trail kinds and realtime events)."""

SLA_WARNING = "sla.warning"
SLA_BREACHED = "sla.breached"
