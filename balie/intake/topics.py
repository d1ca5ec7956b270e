"""The topics a customer chooses from on the contact form and in the chat widget: English codes
(stored in the ticket's "topic" claim, the chat and its queue entry), Dutch and English labels."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

# Values feed balie.routing.actions.TOPIC_TEAMS and the ticket's "topic" claim.
TOPICS = [
    ("question", _("Vraag")),
    ("billing", _("Factuur en betaling")),
    ("incident", _("Storing")),
    ("meter_reading", _("Meterstand")),
    ("moving", _("Verhuizing")),
    ("complaint", _("Klacht")),
    ("other", _("Anders")),
]
# The Dutch codes of before (migrated in the database): a page or widget still showing them
# is understood.
FORMER_CODES = {
    "vraag": "question",
    "factuur": "billing",
    "storing": "incident",
    "meterstand": "meter_reading",
    "verhuizing": "moving",
    "klacht": "complaint",
    "anders": "other",
}


def topic_code(value: str) -> str:
    """The code of a topic as a form or the widget sent it (a former Dutch code too)."""
    value = (value or "").strip().lower()
    return FORMER_CODES.get(value, value)
