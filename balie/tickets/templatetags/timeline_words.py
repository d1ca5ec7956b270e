"""The ticket timeline's words for an audit-trail entry (`balie.tickets.timeline`)."""

from __future__ import annotations

from typing import Any

from django import template

from .. import timeline

register = template.Library()


@register.filter
def activity_text(activity: Any) -> str:
    return timeline.activity_text(activity)
