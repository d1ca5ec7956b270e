"""Due times for agents: `{% load sla %}{{ ticket.sla_next_due_at|sla_countdown }}` renders
"nog 2 u 15 min" or "3 min te laat"; `sla_state` gives a CSS-friendly state
("ok", "soon", "late") for colouring."""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import lru_cache

from django import template
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from balie.core.html import escaped
from balie.core.templatetags.balie_ui import Moments, formatted_moment, moments

register = template.Library()

SOON = timedelta(hours=1)


def format_span(span: timedelta) -> str:
    """A span in Dutch short units: "2 d 3 u", "2 u 15 min", "3 min", "< 1 min"."""
    minutes = int(span.total_seconds() // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    if days:
        return (
            _("%(d)s d %(h)s u") % {"d": days, "h": hours} if hours else _("%(d)s d") % {"d": days}
        )
    if hours:
        return (
            _("%(h)s u %(m)s min") % {"h": hours, "m": minutes}
            if minutes
            else _("%(h)s u") % {"h": hours}
        )
    if minutes:
        return _("%(m)s min") % {"m": minutes}
    return _("< 1 min")


def countdown(due_at: datetime | None, now: datetime | None = None) -> str:
    """ "nog 2 u 15 min" before the due moment, "3 min te laat" after it, "" without one."""
    if due_at is None:
        return ""
    now = now or timezone.now()
    if due_at >= now:
        return _("nog %(span)s") % {"span": format_span(due_at - now)}
    return _("%(span)s te laat") % {"span": format_span(now - due_at)}


@register.filter(name="sla_countdown")
def sla_countdown(due_at: datetime | None, now: datetime | None = None) -> str:
    return countdown(due_at, now)


@register.filter(name="sla_state")
def sla_state(due_at: datetime | None, now: datetime | None = None) -> str:
    if due_at is None:
        return ""
    now = now or timezone.now()
    if due_at < now:
        return "late"
    return "soon" if due_at - now <= SOON else "ok"


@register.simple_tag(name="sla_due")
def sla_due(due_at: datetime | None) -> str:
    """The coloured countdown with the exact Amsterdam moment as its title, in one tag (the
    inbox renders it for every row)."""
    return due_badge(due_at, moments())


def due_badge(due_at: datetime | None, at: Moments) -> str:
    """`sla_due` with the page's `Moments`."""
    if due_at is None:
        return ""
    local = timezone.localtime(due_at).replace(second=0, microsecond=0)
    exact = formatted_moment(local, at.moment, at.language)
    late = due_at < at.now
    span = at.now - due_at if late else due_at - at.now
    state = "late" if late else ("soon" if span <= SOON else "ok")
    text = _countdown_words(late, int(span.total_seconds() // 60), at.language)
    # As format_html('<span class="sla sla-{}" title="{}">{}</span>', …) builds it.
    return mark_safe(  # noqa: S308 (every value is escaped)
        f'<span class="sla sla-{state}" title="{escaped(exact)}">{escaped(text)}</span>'
    )


@lru_cache(maxsize=4096)
def _countdown_words(late: bool, minutes: int, language: str) -> str:
    """`countdown` of a span of whole minutes, per language once."""
    span = format_span(timedelta(minutes=minutes))
    return _("%(span)s te laat") % {"span": span} if late else _("nog %(span)s") % {"span": span}
