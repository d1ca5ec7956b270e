"""The macro picker and the snooze form on the ticket page:
`{% load automation_tags %}{% macro_picker ticket %}` and `{% snooze_form ticket %}`."""

from __future__ import annotations

from typing import Any

from django import template

from balie.automation.forms import SnoozeForm
from balie.automation.models import Macro

register = template.Library()


@register.inclusion_tag("automation/partials/macro_picker.html", takes_context=True)
def macro_picker(context: dict[str, Any], ticket: Any) -> dict[str, Any]:
    """Active macros, those in the ticket's language first."""
    macros = sorted(
        Macro.objects.filter(is_active=True),
        key=lambda m: (m.language != ticket.language, m.position, m.name),
    )
    return {"ticket": ticket, "macros": macros, "csrf_token": context.get("csrf_token")}


@register.inclusion_tag("automation/partials/snooze_form.html", takes_context=True)
def snooze_form(context: dict[str, Any], ticket: Any) -> dict[str, Any]:
    return {"ticket": ticket, "form": SnoozeForm(), "csrf_token": context.get("csrf_token")}
