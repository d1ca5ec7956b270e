"""Whether a chat can start, and the leave-a-message form when it cannot.

Closed when the calendar of channel `chat` says so, or when routing has nobody online for the
topic's team (or the queue is too long): the widget then offers a form that files through the
contact form's path (`intake.submissions`, channel webform, answered by e-mail) and shows the
promised answer time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from balie.intake import submissions
from balie.intake.topics import TOPICS
from balie.routing import actions as routing_actions
from balie.sla import actions as sla_actions
from balie.sla.calendars import calendar_for, opening_status
from balie.sla.models import Calendar
from balie.sla.policies import choose_policy, due_times
from balie.tickets.models import Priority, Ticket


@dataclass(frozen=True)
class Availability:
    open: bool
    reason: str = ""  # why not, for the visitor
    promise: str = ""  # by when a left message is answered
    team: Any = None  # the team to file a chat in (routing may send it elsewhere)


def _calendar() -> Any:
    try:
        return calendar_for(channel="chat")
    except Calendar.DoesNotExist:
        return None


def spoken(moment: datetime | None) -> str:
    if moment is None:
        return ""
    local = timezone.localtime(moment)
    when = date_format(local, "l j F") + " " + date_format(local, "H:i")
    return _("U krijgt uiterlijk %(moment)s antwoord.") % {"moment": when}


def promise_now() -> str:
    """The answer time a message left now would get (the web form's first-response target)."""
    policy = choose_policy(channel="webform")
    cal = _calendar()
    if policy is None or cal is None:
        return ""
    found = due_times(policy, cal, priority=Priority.NORMAL, received_at=timezone.now())
    return spoken(found.first_response)


def _closed_reason(now: datetime) -> str:
    cal = _calendar()
    if cal is None:
        return ""
    state = opening_status(cal, now, language=translation.get_language() or "nl")
    if state.open:
        return ""
    text = _("De chat is nu gesloten")
    if state.reason:
        text += f" ({state.reason})"
    if state.next_open:
        local = timezone.localtime(state.next_open)
        text += ". " + _("We zijn er weer op %(moment)s.") % {
            "moment": date_format(local, "l j F") + " " + date_format(local, "H:i")
        }
    return text


NOBODY = gettext_noop("Er is nu niemand beschikbaar om te chatten.")
BUSY = gettext_noop("Het is nu erg druk in de chat.")
NOT_ADMITTED = {"nobody_online": NOBODY, "queue_full": BUSY, "wait_too_long": BUSY}


def _routing_says(team: Any) -> tuple[bool, str, Any]:
    if team is None:
        return True, "", team
    found = routing_actions.admission(team, "chat")
    if found.open:
        return True, "", found.team
    return (
        False,
        _(NOT_ADMITTED.get(found.reason, NOBODY)),
        None,
    )


def chat_open() -> Availability:
    """For the widget's first look, before a topic is chosen: open when the calendar is and
    some topic's team has someone online."""
    closed = _closed_reason(timezone.now())
    if closed:
        return Availability(False, closed, promise_now())
    reasons = []
    for topic, _label in TOPICS:
        ok, reason, _team = _routing_says(
            routing_actions.choose_team(channel="chat", claims={"topic": topic})
        )
        if ok:
            return Availability(True)
        reasons.append(reason)
    return Availability(False, reasons[0] if reasons else "", promise_now())


def admit(topic: str) -> Availability:
    """Whether a chat on this topic can start now, and in which team."""
    closed = _closed_reason(timezone.now())
    if closed:
        return Availability(False, closed, promise_now())
    team = routing_actions.choose_team(channel="chat", claims={"topic": topic})
    ok, reason, team = _routing_says(team)
    if not ok:
        return Availability(False, reason, promise_now())
    return Availability(True, team=team)


def file_message(
    *, name: str, email: str, text: str, topic: str, customer_number: str = ""
) -> tuple[Ticket | None, str]:
    """The leave-a-message form, filed as the contact form is; (ticket, promise)."""
    subject = str(dict(TOPICS).get(topic, "")) or _("Bericht via de chat")
    envelope = submissions.submit(
        submissions.build_envelope(
            name=name,
            email=email,
            message=text,
            subject=subject,
            customer_number=customer_number,
            topic=topic,
        )
    )
    ticket = submissions.ticket_of(envelope.pk)
    if ticket is None:
        return None, promise_now()
    due_at, _closed = sla_actions.promise_for(ticket)
    return ticket, spoken(due_at) or promise_now()
