"""Public endpoints: opening status (for the contact page and the phone system) and the due
times a new ticket would get. Neither reveals anything about customers or tickets, so neither
needs authentication."""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

from django.conf import settings
from django.http import HttpRequest
from django.utils import timezone
from ninja import Router, Schema
from ninja.errors import HttpError

from balie.tickets.models import Channel, Priority, TicketType

from .calendars import calendar_for, opening_status
from .models import Calendar
from .policies import choose_policy, due_times

router = Router()


class OpeningStatusOut(Schema):
    open: bool
    reason: str | None
    next_open: datetime | None
    closes_at: datetime | None
    calendar: str


class ErrorOut(Schema):
    detail: str


ERRORS = {400: ErrorOut, 422: ErrorOut, 503: ErrorOut}


class PreviewOut(Schema):
    policy: str | None
    calendar: str
    received_at: datetime
    first_response_due_at: datetime | None
    next_response_due_at: datetime | None
    resolution_due_at: datetime | None
    first_response_minutes: float | None
    next_response_minutes: float | None
    resolution_minutes: float | None


def _moment(value: str | None, name: str) -> datetime:
    """An ISO 8601 moment; without an offset it is read as Dutch time. 422 when malformed."""
    if not value:
        return timezone.now()
    try:
        # A "+" in a query string arrives as a space: "10:00 02:00" means "10:00+02:00".
        parsed = datetime.fromisoformat(re.sub(r" (\d{2}:?\d{2})$", r"+\1", value.strip()))
    except ValueError:
        raise HttpError(
            422, f"'{name}' is geen geldig ISO 8601-tijdstip (bijvoorbeeld 2026-04-27T10:00+02:00)"
        ) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=ZoneInfo(settings.TIME_ZONE))
    return parsed


def _choice(value: str | None, choices: type, name: str, default: str = "") -> str:
    if not value:
        return default
    if value not in choices.values:
        allowed = ", ".join(choices.values)
        raise HttpError(400, f"onbekende waarde voor '{name}': {value} (kies uit {allowed})")
    return value


def _language(request: HttpRequest, lang: str | None) -> str:
    wanted = lang or getattr(request, "LANGUAGE_CODE", "nl") or "nl"
    return "en" if wanted.startswith("en") else "nl"


@router.get("/business-hours/status", response={200: OpeningStatusOut, **ERRORS}, auth=None)
def business_hours_status(
    request: HttpRequest, channel: str | None = None, at: str | None = None, lang: str | None = None
):
    """Open or not at `at` (default now) for a channel, why not (a holiday's Dutch name, a
    closure's reason, or "buiten openingstijden"), when it opens next and when it closes."""
    channel_value = _choice(channel, Channel, "channel")
    moment = _moment(at, "at")
    try:
        cal = calendar_for(channel=channel_value)
    except Calendar.DoesNotExist as exc:
        raise HttpError(503, str(exc)) from None
    status = opening_status(cal, moment, language=_language(request, lang))
    return {
        "open": status.open,
        "reason": status.reason,
        "next_open": status.next_open,
        "closes_at": status.closes_at,
        "calendar": status.calendar,
    }


@router.get("/sla/preview", response={200: PreviewOut, **ERRORS}, auth=None)
def sla_preview(
    request: HttpRequest,
    channel: str,
    priority: str | None = None,
    type: str | None = None,
    tier: str | None = None,
    received_at: str | None = None,
):
    """The due times a new ticket would get on this channel, priority and type when received
    at `received_at` (default now)."""
    channel_value = _choice(channel, Channel, "channel")
    priority_value = _choice(priority, Priority, "priority", Priority.NORMAL)
    type_value = _choice(type, TicketType, "type", TicketType.QUESTION)
    tier_value = tier or "standard"
    moment = _moment(received_at, "received_at")
    try:
        cal = calendar_for(channel=channel_value)
    except Calendar.DoesNotExist as exc:
        raise HttpError(503, str(exc)) from None
    policy = choose_policy(
        channel=channel_value, priority=priority_value, type=type_value, tier=tier_value
    )
    empty = {
        "policy": None,
        "calendar": cal.name,
        "received_at": moment,
        "first_response_due_at": None,
        "next_response_due_at": None,
        "resolution_due_at": None,
        "first_response_minutes": None,
        "next_response_minutes": None,
        "resolution_minutes": None,
    }
    if policy is None:
        return empty
    due = due_times(policy, cal, priority=priority_value, received_at=moment)
    minutes = {kind: target.seconds / 60 for kind, target in due.targets.items()}
    return {
        **empty,
        "policy": policy.name,
        "first_response_due_at": due.first_response,
        "next_response_due_at": due.next_response,
        "resolution_due_at": due.resolution,
        "first_response_minutes": minutes.get("first_response"),
        "next_response_minutes": minutes.get("next_response"),
        "resolution_minutes": minutes.get("resolution"),
    }
