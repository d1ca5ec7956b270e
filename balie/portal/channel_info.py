"""What the contact page tells about each channel a customer can use: its opening hours per
weekday, whether it is open now (and if not, why and until when), the closures coming up, and
by when an answer comes: the SLA promise for a question asked now, and what the live queue of
that channel shows (the median time to a first answer over the last days, the questions still
waiting for one).

The calendars and policies come from `balie.sla` (cached per process, so they cost no queries
once loaded); the queue figures are a few aggregate queries, kept in the shared cache for a
minute so that the public page stays cheap however often it is opened. Every text is Dutch
source with gettext and reads in the calendar's time zone (Europe/Amsterdam).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, tzinfo
from math import ceil

from django.core.cache import cache
from django.db.models import Count, DurationField, ExpressionWrapper, F
from django.utils import timezone
from django.utils.dates import WEEKDAYS_ABBR
from django.utils.formats import date_format
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _

from balie.messaging.call_costs import CallCosts, call_costs
from balie.messaging.models import ChannelAccount
from balie.sla import business_time
from balie.sla.business_time import BusinessCalendar, Reason
from balie.sla.calendars import calendar_for, opening_status
from balie.sla.models import Calendar
from balie.sla.policies import choose_policy, due_times
from balie.tickets.models import OPEN_STATUSES, Channel, Priority, Ticket

# The channels a customer can choose, in the order the page lists them. One place: the page,
# the queue figures and the tests all read this.
PUBLIC_CHANNELS: tuple[Channel, ...] = (
    Channel.EMAIL,
    Channel.WEBFORM,
    Channel.PHONE,
    Channel.CHAT,
    Channel.WHATSAPP,
)
# The channels that exist for customers only while an account of that kind is active (its
# address comes from the first one). The contact form is this page itself: always there.
ACCOUNT_KINDS = {
    Channel.EMAIL: "email",
    Channel.PHONE: "phone",
    Channel.CHAT: "chat",
    Channel.WHATSAPP: "whatsapp",
}

CLOSURES_AHEAD = timedelta(days=42)
MAX_CLOSURES = 8
QUEUE_WINDOW = timedelta(days=7)
QUEUE_CACHE_KEY = "portal:contact-channels:queue"
QUEUE_CACHE_SECONDS = 60
# Fewer first answers than this in the window say nothing about what to expect.
MIN_ANSWERS = 3
# A promise this close is told as a span ("binnen 2 minuten") rather than a moment.
SPAN_PROMISE = timedelta(hours=1)


# --- the queue: a few aggregate queries, cached -----------------------------------------------


@dataclass(frozen=True)
class QueueFigures:
    answered: int = 0  # first answers given in the window
    median_seconds: float | None = None  # median time from creation to that first answer
    waiting: int = 0  # open tickets still without a first answer


def _median_seconds(channel: str, since: datetime, until: datetime, count: int) -> float:
    """The median first-response time of a channel's answers in the window: the one or two
    middle rows in order of waiting time, read with an offset (one query, any database)."""
    wait = ExpressionWrapper(F("first_response_at") - F("created_at"), output_field=DurationField())
    middle = list(
        Ticket.objects.filter(
            channel=channel, first_response_at__gte=since, first_response_at__lt=until
        )
        .annotate(wait=wait)
        .order_by("wait")
        .values_list("wait", flat=True)[(count - 1) // 2 : count // 2 + 1]
    )
    seconds = [max(0.0, span.total_seconds()) for span in middle if span is not None]
    return sum(seconds) / len(seconds) if seconds else 0.0


def measure_queue(now: datetime) -> dict[str, QueueFigures]:
    """The live queue figures per public channel (uncached)."""
    channels = [c.value for c in PUBLIC_CHANNELS]
    since = now - QUEUE_WINDOW
    waiting = dict(
        Ticket.objects.filter(
            channel__in=channels, status__in=OPEN_STATUSES, first_response_at__isnull=True
        )
        .values_list("channel")
        .annotate(n=Count("pk"))
        .order_by()
    )
    answered = dict(
        Ticket.objects.filter(
            channel__in=channels, first_response_at__gte=since, first_response_at__lt=now
        )
        .values_list("channel")
        .annotate(n=Count("pk"))
        .order_by()
    )
    return {
        channel: QueueFigures(
            answered=answered.get(channel, 0),
            median_seconds=(
                _median_seconds(channel, since, now, answered[channel])
                if answered.get(channel, 0) >= MIN_ANSWERS
                else None
            ),
            waiting=waiting.get(channel, 0),
        )
        for channel in channels
    }


@dataclass(frozen=True)
class AccountFacts:
    """What the page tells of a channel's first active account."""

    address: str = ""
    costs: CallCosts = CallCosts()  # phone only


def _active_accounts() -> dict[str, AccountFacts]:
    """Per channel kind that needs one, its first active account (by id)."""
    found: dict[str, AccountFacts] = {}
    for kind, address, config in (
        ChannelAccount.objects.filter(kind__in=list(ACCOUNT_KINDS.values()), is_active=True)
        .order_by("pk")
        .values_list("kind", "address", "config")
    ):
        if kind in found:
            continue
        costs = call_costs(config) if kind == "phone" and isinstance(config, dict) else None
        found[kind] = AccountFacts(address=address, costs=costs or CallCosts())
    return found


def live_figures(now: datetime) -> tuple[dict[str, QueueFigures], dict[str, AccountFacts]]:
    """Queue figures and the active accounts, from the shared cache when less than a minute
    old."""
    stored = cache.get(QUEUE_CACHE_KEY)
    if stored is None:
        stored = (measure_queue(now), _active_accounts())
        cache.set(QUEUE_CACHE_KEY, stored, QUEUE_CACHE_SECONDS)
    return stored


# --- words for times -------------------------------------------------------------------------


def _clock(local: datetime) -> str:
    return date_format(local, "H:i")


def _day(day: date, today: date) -> str:
    return date_format(day, "l j F" if day.year == today.year else "l j F Y")


def spoken_moment(moment: datetime, *, today: date, tz: tzinfo, around: bool = False) -> str:
    """ "vandaag om 16:00", "woensdag 28 april om 08:00" (or "rond …"). Another day is named
    with its date, as in the acknowledgement e-mails, so the text is right whenever it is read."""
    local = moment.astimezone(tz)
    values = {"time": _clock(local), "day": _day(local.date(), today)}
    if local.date() == today:
        text = _("vandaag rond %(time)s") if around else _("vandaag om %(time)s")
    else:
        text = _("%(day)s rond %(time)s") if around else _("%(day)s om %(time)s")
    return text % values


def spoken_span(span: timedelta) -> str:
    """ "2 minuten", "1 uur", "3 uur en 20 minuten", "2 dagen en 4 uur" (rounded up to minutes)."""
    minutes = max(1, ceil(span.total_seconds() / 60))
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    day_words = ngettext("%(n)s dag", "%(n)s dagen", days) % {"n": days}
    hour_words = ngettext("%(n)s uur", "%(n)s uur", hours) % {"n": hours}
    minute_words = ngettext("%(n)s minuut", "%(n)s minuten", minutes) % {"n": minutes}
    if days:
        parts = [day_words, hour_words] if hours else [day_words]
    elif hours:
        parts = [hour_words, minute_words] if minutes else [hour_words]
    else:
        parts = [minute_words]
    return _("%(a)s en %(b)s") % {"a": parts[0], "b": parts[1]} if len(parts) == 2 else parts[0]


def _spoken_list(items: list[str]) -> str:
    if len(items) < 2:
        return "".join(items)
    return _("%(items)s en %(last)s") % {"items": ", ".join(items[:-1]), "last": items[-1]}


# --- opening hours per weekday ---------------------------------------------------------------


def _minutes(moment: time, *, end: bool = False) -> int:
    value = moment.hour * 60 + moment.minute
    return 24 * 60 if end and value == 0 else value


def _hours_of(cal: BusinessCalendar, day: date) -> tuple[tuple[int, int], ...]:
    """The opening intervals of a weekday in minutes since midnight, minus the weekly closures
    that apply on that date."""
    intervals = sorted(
        (_minutes(opens), _minutes(closes, end=True))
        for opens, closes in cal.weekly_hours.get(day.weekday(), ())
    )
    for closure in cal.weekly_closures:
        if not closure.applies(day):
            continue
        cut = (_minutes(closure.start), _minutes(closure.end, end=True))
        pieces = []
        for start, end in intervals:
            if cut[1] <= start or cut[0] >= end:
                pieces.append((start, end))
                continue
            if start < cut[0]:
                pieces.append((start, cut[0]))
            if cut[1] < end:
                pieces.append((cut[1], end))
        intervals = pieces
    return tuple(intervals)


def _hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _day_ranges(weekdays: list[int]) -> str:
    """[0, 1, 2, 3, 4] -> "ma–vr"; [0, 2] -> "ma, wo"; [5, 6] -> "za–zo"."""
    runs: list[list[int]] = []
    for weekday in weekdays:
        if runs and weekday == runs[-1][-1] + 1:
            runs[-1].append(weekday)
        else:
            runs.append([weekday])
    names = [
        str(WEEKDAYS_ABBR[run[0]])
        if len(run) == 1
        else f"{WEEKDAYS_ABBR[run[0]]}–{WEEKDAYS_ABBR[run[-1]]}"
        for run in runs
    ]
    return ", ".join(names)


@dataclass(frozen=True)
class HoursLine:
    days: str  # "ma–vr"
    hours: str  # "08:00–18:00", "gesloten"
    is_closed: bool

    def __str__(self) -> str:
        return f"{self.days} {self.hours}"


def weekly_hours(cal: BusinessCalendar, today: date) -> list[HoursLine]:
    """The week from Monday, days with the same hours taken together: "ma–vr 08:00–18:00",
    "za 10:00–14:00", "zo gesloten". Weekly closures count as they apply this coming week."""
    by_hours: dict[tuple[tuple[int, int], ...], list[int]] = {}
    for weekday in range(7):
        day = today + timedelta(days=(weekday - today.weekday()) % 7)
        by_hours.setdefault(_hours_of(cal, day), []).append(weekday)
    lines = []
    for intervals, weekdays in sorted(by_hours.items(), key=lambda item: item[1][0]):
        text = ", ".join(f"{_hhmm(a)}–{_hhmm(b)}" for a, b in intervals) or _("gesloten")
        lines.append(HoursLine(days=_day_ranges(weekdays), hours=text, is_closed=not intervals))
    return lines


# --- closures ahead --------------------------------------------------------------------------


@dataclass
class UpcomingClosure:
    starts: datetime
    ends: datetime
    when: str  # "maandag 28 december", "donderdag 4 juni 12:00 tot vrijdag 5 juni 13:00"
    reason: str
    channels: list[str] = field(default_factory=list)
    only_for: str = ""  # "alleen Chat en Telefoon" when not every channel is closed


def _closures_of(
    cal: BusinessCalendar, now: datetime, language: str
) -> list[tuple[datetime, datetime, str, str]]:
    """(start, end, when, reason) of the public holidays and closing days that fall on an
    opening day, and of the exceptional closures, from tomorrow (periods: from now) on."""
    today = cal.local_date(now)
    found = []
    for offset in range(1, CLOSURES_AHEAD.days + 1):
        day = today + timedelta(days=offset)
        reason = cal.holiday(day)
        if reason is None or not cal.weekly_hours.get(day.weekday()):
            continue
        start = datetime.combine(day, time(0), tzinfo=cal.tz)
        found.append((start, start + timedelta(days=1), _day(day, today), reason.text(language)))
    horizon = now + CLOSURES_AHEAD
    for start, end, period_reason in cal.periods:
        if end <= now or start >= horizon:
            continue
        found.append(
            (start, end, _period_words(cal, start, end, today), period_reason.text(language))
        )
    return found


def _period_words(cal: BusinessCalendar, start: datetime, end: datetime, today: date) -> str:
    local_start, local_end = start.astimezone(cal.tz), end.astimezone(cal.tz)
    if local_start.time() == time(0) and local_end.time() == time(0):
        first, last = local_start.date(), local_end.date() - timedelta(days=1)
        if first >= last:
            return _day(first, today)
        return _("%(first)s t/m %(last)s") % {
            "first": _day(first, today),
            "last": _day(last, today),
        }
    if local_start.date() == local_end.date():
        return _("%(day)s %(start)s–%(end)s") % {
            "day": _day(local_start.date(), today),
            "start": _clock(local_start),
            "end": _clock(local_end),
        }
    return _("%(day)s %(start)s tot %(end_day)s %(end)s") % {
        "day": _day(local_start.date(), today),
        "start": _clock(local_start),
        "end_day": _day(local_end.date(), today),
        "end": _clock(local_end),
    }


# --- per channel -----------------------------------------------------------------------------


@dataclass
class ChannelInfo:
    channel: str
    label: str
    address: str = ""
    link: str = ""
    call_costs: str = ""  # phone: "gebruikelijke belkosten", "€ 0,10 per minuut, plus …"
    hours: list[HoursLine] = field(default_factory=list)
    is_open: bool = False
    state: str = ""  # "Nu open tot 18:00", "Nu gesloten"
    state_detail: str = ""  # "vandaag gesloten vanwege Koningsdag; weer open woensdag 28 april …"
    promise: str = ""  # "U krijgt uiterlijk vandaag om 16:00 antwoord."
    due_at: datetime | None = None
    expected: str = ""  # "Verwacht: binnen ongeveer 25 minuten" ("" without enough data)
    expected_at: datetime | None = None
    queue: list[str] = field(default_factory=list)  # "nu 12 vragen wachten op antwoord", …


@dataclass
class ContactChannels:
    now: datetime
    channels: list[ChannelInfo]
    closures: list[UpcomingClosure]


def _link(channel: str, address: str) -> str:
    if not address:
        return ""
    if channel == Channel.EMAIL:
        return f"mailto:{address}"
    digits = "".join(ch for ch in address if ch.isdigit() or ch == "+")
    if channel == Channel.PHONE:
        return f"tel:{digits}"
    if channel == Channel.WHATSAPP:
        return f"https://wa.me/{digits.lstrip('+')}"
    return ""


def _state(cal: BusinessCalendar, now: datetime, language: str) -> tuple[bool, str, str]:
    status = opening_status(cal, now, language=language)
    today = cal.local_date(now)
    if status.open:
        closes = status.closes_at
        if closes is None:
            return True, _("Nu open"), ""
        local = closes.astimezone(cal.tz)
        if local.date() == today:
            until = _clock(local)
        elif local.date() == today + timedelta(days=1) and local.time() == time(0):
            until = _("middernacht")
        else:
            until = spoken_moment(closes, today=today, tz=cal.tz)
        return True, _("Nu open tot %(until)s") % {"until": until}, ""
    parts = []
    holiday: Reason | None = cal.holiday(today)
    if holiday is not None:
        parts.append(_("vandaag gesloten vanwege %(reason)s") % {"reason": holiday.text(language)})
    elif status.closure is not None:
        parts.append(_("gesloten vanwege %(reason)s") % {"reason": status.closure.text(language)})
    if status.next_open is not None:
        moment = spoken_moment(status.next_open, today=today, tz=cal.tz)
        parts.append(_("weer open %(moment)s") % {"moment": moment})
    else:
        parts.append(_("voorlopig gesloten"))
    return False, _("Nu gesloten"), "; ".join(parts)


def _answer_texts(
    channel: str, cal: BusinessCalendar, now: datetime, is_open: bool, figures: QueueFigures
) -> tuple[str, datetime | None, str, datetime | None, list[str]]:
    today = cal.local_date(now)
    promise, due_at = "", None
    policy = choose_policy(channel=channel)
    if policy is not None:
        due_at = due_times(policy, cal, priority=Priority.NORMAL, received_at=now).first_response
    if due_at is not None:
        if is_open and due_at - now <= SPAN_PROMISE:
            promise = _("U krijgt binnen %(span)s antwoord.") % {"span": spoken_span(due_at - now)}
        else:
            moment = spoken_moment(due_at, today=today, tz=cal.tz)
            promise = _("U krijgt uiterlijk %(moment)s antwoord.") % {"moment": moment}

    expected, expected_at = "", None
    if figures.median_seconds is not None:
        typical = timedelta(seconds=figures.median_seconds)
        expected_at = business_time.add_business_time(cal, now, typical)
        if due_at is not None and expected_at >= due_at:
            expected_at = None  # the promise is the better estimate
        elif is_open and cal.local_date(expected_at) == today:
            span = spoken_span(expected_at - now)
            expected = _("Verwacht: binnen ongeveer %(span)s") % {"span": span}
        else:
            rounded = expected_at + timedelta(minutes=-expected_at.minute % 5)
            rounded = rounded.replace(second=0, microsecond=0)
            if due_at is not None:
                rounded = min(rounded, due_at)
            moment = spoken_moment(rounded, today=today, tz=cal.tz, around=True)
            expected = _("Verwacht: %(moment)s") % {"moment": moment}

    queue = []
    if figures.waiting:
        queue.append(
            ngettext(
                "nu %(n)s vraag wacht op antwoord",
                "nu %(n)s vragen wachten op antwoord",
                figures.waiting,
            )
            % {"n": figures.waiting}
        )
    if expected:
        # The figure behind the expectation. When the promise is the better estimate, a median
        # in wall-clock time (nights and weekends included) would only confuse: not shown.
        queue.append(
            _("afgelopen %(days)s dagen kreeg de helft binnen %(span)s antwoord")
            % {
                "days": QUEUE_WINDOW.days,
                "span": spoken_span(timedelta(seconds=figures.median_seconds)),
            }
        )
    return promise, due_at, expected, expected_at, queue


def contact_channels(*, at: datetime | None = None, language: str | None = None) -> ContactChannels:
    """Everything the contact page shows about the channels customers can use now (default
    now), in the active language: a channel that needs an account only while one is active.
    A channel without a calendar is named with its address, without hours or promises."""
    now = at or timezone.now()
    language = "en" if (language or get_language() or "nl").startswith("en") else "nl"
    figures, accounts = live_figures(now)
    channels: list[ChannelInfo] = []
    closures: dict[tuple[datetime, datetime, str], UpcomingClosure] = {}
    closures_by_calendar: dict[int | None, list[tuple[datetime, datetime, str, str]]] = {}
    with_hours = 0
    for channel in PUBLIC_CHANNELS:
        kind = ACCOUNT_KINDS.get(channel)
        if kind is not None and kind not in accounts:
            continue
        facts = accounts.get(kind or "", AccountFacts())
        info = ChannelInfo(
            channel=channel.value,
            label=str(channel.label),
            address=facts.address,
            link=_link(channel.value, facts.address),
            call_costs=facts.costs.text(),
        )
        channels.append(info)
        try:
            cal = calendar_for(channel=channel.value)
        except Calendar.DoesNotExist:
            continue
        with_hours += 1
        info.hours = weekly_hours(cal, cal.local_date(now))
        info.is_open, info.state, info.state_detail = _state(cal, now, language)
        info.promise, info.due_at, info.expected, info.expected_at, info.queue = _answer_texts(
            channel.value, cal, now, info.is_open, figures.get(channel.value, QueueFigures())
        )
        key = cal.pk if cal.pk is not None else id(cal)
        if key not in closures_by_calendar:
            closures_by_calendar[key] = _closures_of(cal, now, language)
        for start, end, when, reason in closures_by_calendar[key]:
            entry = closures.setdefault(
                (start, end, reason), UpcomingClosure(start, end, when, reason)
            )
            entry.channels.append(str(channel.label))
    ahead = sorted(closures.values(), key=lambda c: (c.starts, c.ends))[:MAX_CLOSURES]
    for entry in ahead:
        if len(entry.channels) < with_hours:
            entry.only_for = _("alleen %(channels)s") % {"channels": _spoken_list(entry.channels)}
    return ContactChannels(now=now, channels=channels, closures=ahead)
