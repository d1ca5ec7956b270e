"""`{% presence_selector %}`: the agent's presence and waiting offers, for the top bar."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.translation import gettext as _

register = template.Library()


@register.inclusion_tag("routing/presence_selector.html", takes_context=True)
def presence_selector(context: dict[str, Any]) -> dict[str, Any]:
    from balie.routing.views import selector_context

    request = context.get("request")
    agent = getattr(request, "agent", None)
    if agent is None:
        return {"agent": None}
    return {"agent": agent, "request": request, **selector_context(agent)}


@register.filter
def wait_label(seconds: Any) -> str:
    """12 s, 4 min 05 s, 1 u 02 min, 6 d 8 u: in the agent's language (h for u in English)."""
    try:
        total = max(int(seconds), 0)
    except (TypeError, ValueError):
        return ""
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    if hours >= 24:
        return _("%(d)s d %(h)s u") % {"d": hours // 24, "h": hours % 24}
    if hours:
        return _("%(h)s u %(m)s min") % {"h": hours, "m": f"{minutes:02d}"}
    if minutes:
        return f"{minutes} min {secs:02d} s"
    return f"{secs} s"
