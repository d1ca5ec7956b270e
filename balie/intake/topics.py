"""The topics a customer chooses from on the contact form and in the chat widget."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

# Values feed balie.routing.actions.TOPIC_TEAMS and the ticket's "topic" claim.
TOPICS = [
    ("vraag", _("Vraag")),
    ("factuur", _("Factuur en betaling")),
    ("storing", _("Storing")),
    ("meterstand", _("Meterstand")),
    ("verhuizing", _("Verhuizing")),
    ("klacht", _("Klacht")),
    ("anders", _("Anders")),
]
