"""Template tags of the agent UI: Dutch relative times, channel and status labels, the wording
of audit-trail entries, and query strings for filter links."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

from django import template
from django.http import QueryDict
from django.utils import timezone
from django.utils.dateformat import format as _dateformat
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import get_language, gettext_lazy, ngettext, pgettext
from django.utils.translation import gettext as _

from balie.core.html import escaped
from balie.tickets.models import Channel, DeliveryStatus, Priority, Status

register = template.Library()

CHANNEL_ICONS = {
    Channel.EMAIL: "✉",
    Channel.WEBFORM: "▤",
    Channel.CHAT: "❝",
    Channel.WHATSAPP: "◉",
    Channel.MESSENGER: "◎",
    Channel.INSTAGRAM: "◈",
    Channel.X: "✕",
    Channel.SMS: "✆",
    Channel.PHONE: "☎",
    Channel.WALK_IN: "⌂",
    Channel.LETTER: "✍",
    Channel.PORTAL: "⌘",
}

CLAIM_LABELS = {
    "customer_number": gettext_lazy("Klantnummer"),
    "order_number": gettext_lazy("Ordernummer"),
    "topic": gettext_lazy("Gekozen onderwerp"),
    "phone": gettext_lazy("Telefoonnummer"),
    "language": gettext_lazy("Taal"),
    "page": gettext_lazy("Pagina (chat)"),
    "satisfaction": gettext_lazy("Tevredenheid (chat)"),
}


def _label(choices: Any, value: Any) -> str:
    if value in (None, "", []):
        return _("(leeg)")
    if isinstance(value, list):
        return ", ".join(str(v) for v in value) or _("(leeg)")
    if choices is not None:
        try:
            return str(choices(value).label)
        except ValueError:
            return str(value)
    return str(value)


@dataclass(frozen=True)
class Moments:
    """What every relative time of one page shares: the moment it is rendered and the
    translated date formats, looked up once for a table of 50 rows instead of per cell."""

    now: datetime
    year: int  # the current year in the local time zone
    language: str
    exact: str  # the title: "3 december 2026 14:05"
    this_year: str  # "3 dec 14:05"
    other_year: str  # "3 dec 2025"
    moment: str  # a due time or an exact moment: "3 dec 2026 14:05"


def moments() -> Moments:
    now = timezone.now()
    return Moments(
        now=now,
        year=timezone.localtime(now).year,
        language=get_language() or "",
        # Translators: date formats use Django's date-filter letters; b is "nov", M is "Nov".
        exact=pgettext("datumnotatie", "j F Y H:i"),
        this_year=pgettext("datumnotatie", "j b H:i"),
        other_year=pgettext("datumnotatie", "j b Y"),
        moment=pgettext("datumnotatie", "j b Y H:i"),
    )


@register.filter
def sinds(value: datetime | None) -> str:
    """Relative time in Dutch for the last day ("3 minuten geleden"), else a Dutch date;
    the exact Amsterdam time is in the title."""
    return relative_time(value, moments())


def relative_time(value: datetime | None, at: Moments) -> str:
    """`sinds` with the page's `Moments`."""
    if not value:
        return "—"
    local = timezone.localtime(value)
    minute = local.replace(second=0, microsecond=0)
    exact = formatted_moment(minute, at.exact, at.language)
    age = (at.now - value).total_seconds()
    if age < 22 * 3600:
        shown = _relative(age, at.language)
    elif local.year == at.year:
        shown = formatted_moment(minute, at.this_year, at.language)
    else:
        shown = formatted_moment(minute, at.other_year, at.language)
    # As format_html('<time datetime="{}" title="{}">{}</time>', …) builds it.
    return mark_safe(  # noqa: S308 (every value is escaped)
        f'<time datetime="{escaped(local.isoformat())}" title="{escaped(exact)}">'
        f"{escaped(shown)}</time>"
    )


@lru_cache(maxsize=8192)
def formatted_moment(moment: datetime, fmt: str, language: str) -> str:
    """A local moment, already to the minute, in a format of `language`; memoised."""
    return _dateformat(moment, fmt)


def date_format(moment: datetime, fmt: str) -> str:
    """A date in a (translated) format, to the minute; memoised, since the inbox formats the
    same moments on every reload."""
    return formatted_moment(moment.replace(second=0, microsecond=0), fmt, get_language() or "")


def _relative(seconds: float, language: str) -> str:
    """ "zojuist", "5 minuten geleden", "3 uur geleden" (cheaper than humanize's naturaltime,
    which the inbox would call 50 times a page); the words per count and language once."""
    if seconds < 60:
        return _relative_words("now", 0, language)
    if seconds < 3600:
        return _relative_words("minutes", int(seconds // 60), language)
    return _relative_words("hours", int(seconds // 3600), language)


@lru_cache(maxsize=512)
def _relative_words(unit: str, n: int, language: str) -> str:
    if unit == "now":
        return _("zojuist")
    if unit == "minutes":
        return ngettext("%(n)s minuut geleden", "%(n)s minuten geleden", n) % {"n": n}
    return ngettext("%(n)s uur geleden", "%(n)s uur geleden", n) % {"n": n}


@register.filter
def tijdstip(value: datetime | None) -> str:
    """Exact Dutch date and time in Europe/Amsterdam: "3 mrt 2025 14:05"."""
    if not value:
        return "—"
    local = timezone.localtime(value)
    return format_html(
        '<time datetime="{}">{}</time>',
        local.isoformat(),
        date_format(local, pgettext("datumnotatie", "j b Y H:i")),
    )


# Channel, status and priority badges depend only on their value and the language: made once
# per process (the inbox shows 150 of them per page).
@lru_cache(maxsize=256)
def _channel_html(channel: str, language: str) -> str:
    try:
        label = Channel(channel).label
    except ValueError:
        label = channel
    return format_html(
        '<span class="channel channel-{}"><span aria-hidden="true">{}</span> {}</span>',
        channel,
        CHANNEL_ICONS.get(channel, "•"),
        label,
    )


@lru_cache(maxsize=256)
def _badge_html(kind: str, value: str, language: str) -> str:
    if kind == "status":
        return format_html('<span class="badge status-{}">{}</span>', value, _label(Status, value))
    return format_html('<span class="prio prio-{}">{}</span>', value, _label(Priority, value))


@register.simple_tag
def channel_label(channel: str) -> str:
    return _channel_html(channel, get_language() or "")


@register.simple_tag
def status_badge(status: str) -> str:
    return _badge_html("status", status, get_language() or "")


@register.simple_tag
def priority_badge(priority: str) -> str:
    return _badge_html("priority", priority, get_language() or "")


@register.simple_tag
def delivery_label(status: str) -> str:
    if not status or status == DeliveryStatus.RECEIVED:
        return ""
    return format_html(
        '<span class="delivery delivery-{}">{}</span>', status, _label(DeliveryStatus, status)
    )


@register.filter
def claim_label(key: str) -> str:
    return str(CLAIM_LABELS.get(key, key))


@register.filter
def filesize(size: int) -> str:
    if size < 1024:
        return f"{size} B"
    if size < 1024 * 1024:
        return f"{size / 1024:.0f} kB"
    return f"{size / (1024 * 1024):.1f} MB".replace(".", ",")


@register.simple_tag(takes_context=True)
def query(context: dict[str, Any], **changes: Any) -> str:
    """The current query string with some keys replaced (None or "" removes them); the cursor
    is dropped unless it is set explicitly, because any other change starts at page one."""
    request = context["request"]
    params: QueryDict = request.GET.copy()
    params.pop("cursor", None)
    for key, value in changes.items():
        params.pop(key, None)
        if value not in (None, ""):
            params[key] = value
    encoded = params.urlencode()
    return "?" + encoded if encoded else "?"


@register.simple_tag
def company_name() -> str:
    from django.conf import settings

    return settings.BALIE_COMPANY_NAME
