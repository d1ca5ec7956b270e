"""Due times for agents: `{% load sla %}{{ ticket.sla_next_due_at|sla_countdown }}` renders
"nog 2 u 15 min" or "3 min te laat"; `sla_state` gives a CSS-friendly state
("ok", "soon", "late") for colouring."""

from __future__ import annotations

from datetime import datetime, timedelta

from django import template
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from balie.core.templatetags.balie_ui import date_format

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
    if due_at is None:
        return ""
    now = timezone.now()
    exact = date_format(timezone.localtime(due_at), pgettext("datumnotatie", "j b Y H:i"))
    return format_html(
        '<span class="sla sla-{}" title="{}">{}</span>',
        sla_state(due_at, now),
        exact,
        countdown(due_at, now),
    )
