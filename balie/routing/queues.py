"""Reading the queues: a ticket's place and expected wait, whether a team takes new chats, the
figures of the supervisor page; and the periodic checks (`tick`)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, NamedTuple

from django.conf import settings as django_settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from balie.accounts.models import Team
from balie.tickets.models import Ticket

from . import engine
from .models import (
    QUEUED_STATES,
    AwayReason,
    EntryState,
    Offer,
    OfferState,
    OverflowAction,
    Presence,
    PresenceState,
    QueueEntry,
)

# When a team has no recent conversations to learn from: the handling time assumed.
DEFAULT_HANDLING_SECONDS = 300
HANDLING_WINDOW = timedelta(hours=4)  # recent: the conversations ended in this window
HANDLING_SAMPLE = 50


class QueuePosition(NamedTuple):
    """1-based place among the waiting entries of the ticket's team and channel, and the
    expected wait in seconds; both None when the ticket is not waiting (or the wait cannot be
    told: nobody online)."""

    position: int | None
    expected_wait: int | None


class Admission(NamedTuple):
    """Whether a new conversation should start (`open`), and in which team; `reason` when it
    overflows or may not: nobody_online, queue_full, wait_too_long."""

    open: bool
    reason: str
    team: Team | None


def handling_seconds(team_id: int, channel: str, *, now: Any = None) -> float:
    """The mean handling time of the team's recent conversations in this channel (assigned to
    ended), from the last ones ended."""
    now = now or timezone.now()
    rows = list(
        QueueEntry.objects.filter(
            team_id=team_id,
            channel=channel,
            state=EntryState.ENDED,
            assigned_at__isnull=False,
            ended_at__gte=now - HANDLING_WINDOW,
        )
        .order_by("-ended_at")
        .values_list("assigned_at", "ended_at")[:HANDLING_SAMPLE]
    )
    if not rows:
        return float(DEFAULT_HANDLING_SECONDS)
    total = sum((ended - assigned).total_seconds() for assigned, ended in rows)
    return max(total / len(rows), 1.0)


def _slots(team_id: int, channel: str) -> int:
    """How many conversations the online agents can carry at once."""
    members = engine.online_members(team_id)
    cap = engine.cap_of(engine.settings_of(team_id), channel)
    return len(members) * (cap if cap is not None else 1)


def expected_wait(team_id: int, channel: str, position: int, *, now: Any = None) -> int | None:
    """Seconds until the entry at `position` is taken: the places ahead of it free up at the
    rate the online agents' slots finish conversations (handling time / slots)."""
    slots = _slots(team_id, channel)
    if slots == 0:
        return None
    handling = handling_seconds(team_id, channel, now=now)
    return int(math.ceil(position / slots) * handling) if position > 0 else 0


def queue_position(ticket: Ticket) -> QueuePosition:
    entry = engine.active_entry(ticket)
    if entry is None or entry.state not in QUEUED_STATES:
        return QueuePosition(None, None)
    if entry.state == EntryState.OFFERED:
        return QueuePosition(1, _offer_seconds_left(entry))
    ahead = (
        engine.waiting_entries(entry.team_id, entry.channel)
        .filter(
            Q(tier_rank__gt=entry.tier_rank)
            | Q(tier_rank=entry.tier_rank, arrived_at__lt=entry.arrived_at)
            | Q(tier_rank=entry.tier_rank, arrived_at=entry.arrived_at, id__lt=entry.pk)
        )
        .count()
    )
    position = ahead + 1
    return QueuePosition(position, expected_wait(entry.team_id, entry.channel, position))


def _offer_seconds_left(entry: QueueEntry) -> int:
    offer = Offer.objects.filter(entry=entry, state=OfferState.OFFERED).first()
    if offer is None:
        return 0
    return max(int((offer.expires_at - timezone.now()).total_seconds()), 0)


def anyone_online(team: Team, channel: str = "chat") -> bool:
    """Whether an agent of the team is online (then a chat may start; else leave-a-message)."""
    return bool(engine.online_members(team.pk))


def admission(team: Team, channel: str = "chat") -> Admission:
    """Whether a new conversation in this team and channel is taken now, by the team's
    overflow rules: `open` False means leave-a-message; another `team` means it overflows
    there."""
    settings = engine.settings_of(team.pk)
    problem = _overflow_reason(team.pk, channel, settings)
    if not problem:
        return Admission(True, "", team)
    if settings.overflow_action == OverflowAction.TEAM and settings.overflow_team_id:
        other = Team.objects.filter(pk=settings.overflow_team_id).first()
        if (
            other is not None
            and other.pk != team.pk
            and not _overflow_reason(other.pk, channel, engine.settings_of(other.pk))
        ):
            return Admission(True, problem, other)
    if problem == "nobody_online" or settings.overflow_action != OverflowAction.NONE:
        return Admission(False, problem, team)
    return Admission(True, problem, team)


def _overflow_reason(team_id: int, channel: str, settings: Any) -> str:
    if not engine.online_members(team_id):
        return "nobody_online"
    waiting = engine.waiting_entries(team_id, channel).count()
    limit = settings.overflow_queue_length
    if limit is not None and waiting >= limit:
        return "queue_full"
    if settings.overflow_wait is not None:
        wait = expected_wait(team_id, channel, waiting + 1)
        if wait is not None and wait > settings.overflow_wait:
            return "wait_too_long"
    return ""


# --- the supervisor's figures ---------------------------------------------------------------


@dataclass
class QueueFigures:
    team: Team
    channel: str
    waiting: int
    longest_wait: int  # seconds
    entries: list[QueueEntry]


def queue_figures(teams: list[Team], *, now: Any = None) -> list[QueueFigures]:
    now = now or timezone.now()
    rows: dict[tuple[int, str], list[QueueEntry]] = {}
    for entry in (
        QueueEntry.objects.filter(team__in=teams, state__in=QUEUED_STATES)
        .select_related("ticket__customer", "agent")
        .order_by("-tier_rank", "arrived_at", "id")
    ):
        rows.setdefault((entry.team_id, entry.channel), []).append(entry)
    by_id = {t.pk: t for t in teams}
    figures = []
    for (team_id, channel), entries in sorted(rows.items()):
        longest = max(int((now - e.arrived_at).total_seconds()) for e in entries)
        figures.append(QueueFigures(by_id[team_id], channel, len(entries), longest, entries))
    return figures


# --- the periodic checks --------------------------------------------------------------------


def _seconds(name: str, default: int) -> int:
    return int(getattr(django_settings, name, default))


def tick(*, now: Any = None) -> dict[str, int]:
    """Offers past their timeout go to the next agent; agents inactive for ROUTING_AWAY_AFTER
    seconds are away, and without a heartbeat for ROUTING_OFFLINE_AFTER seconds offline (their
    chats back to the queue); entries waiting longer than their team's limit overflow; every
    queue with waiting entries is handed out again. Celery beat runs it every few seconds;
    heartbeats run it too."""
    from .agents import _back_to_queue, set_presence

    now = now or timezone.now()
    done = {"expired": 0, "away": 0, "offline": 0, "overflowed": 0, "placed": 0}
    touched: set[tuple[int, str]] = set()
    for pk in Offer.objects.filter(state=OfferState.OFFERED, expires_at__lte=now).values_list(
        "pk", flat=True
    )[:500]:
        with transaction.atomic():
            offer = (
                Offer.objects.select_for_update(skip_locked=True)
                .filter(pk=pk, state=OfferState.OFFERED)
                .first()
            )
            if offer is None:
                continue
            entry = QueueEntry.objects.select_for_update().get(pk=offer.entry_id)
            _back_to_queue(offer, entry, state=OfferState.EXPIRED, at=now)
            touched.add((entry.team_id, entry.channel))
            done["expired"] += 1
    away_before = now - timedelta(seconds=_seconds("ROUTING_AWAY_AFTER", 300))
    offline_before = now - timedelta(seconds=_seconds("ROUTING_OFFLINE_AFTER", 70))
    for presence in Presence.objects.filter(
        state__in=[PresenceState.ONLINE, PresenceState.AWAY], last_heartbeat_at__lt=offline_before
    ).select_related("agent"):
        set_presence(presence.agent, PresenceState.OFFLINE, by=engine.ROUTING)
        done["offline"] += 1
    for presence in Presence.objects.filter(
        state=PresenceState.ONLINE, last_active_at__lt=away_before
    ).select_related("agent"):
        set_presence(presence.agent, PresenceState.AWAY, reason=AwayReason.INACTIVE)
        done["away"] += 1
    done["overflowed"] = _overflow_long_waits(now)
    _forget_old_declines(now)
    for team_id, channel in sorted(touched | set(engine.busy_queues())):
        done["placed"] += engine.dispatch(team_id, channel)
    return done


def _overflow_long_waits(now: Any) -> int:
    count = 0
    for team_id, settings in engine.team_settings.get().items():
        if settings.overflow_wait is None or settings.overflow_action == OverflowAction.NONE:
            continue
        old = QueueEntry.objects.filter(
            team_id=team_id,
            state=EntryState.WAITING,
            via_overflow=False,
            arrived_at__lte=now - timedelta(seconds=settings.overflow_wait),
        ).values_list("pk", flat=True)[:200]
        for pk in old:
            with transaction.atomic():
                entry = (
                    QueueEntry.objects.select_for_update(skip_locked=True)
                    .filter(pk=pk, state=EntryState.WAITING)
                    .select_related("ticket")
                    .first()
                )
                if entry is not None:
                    engine.overflow(entry, settings, at=now)
                    count += 1
    return count


def _forget_old_declines(now: Any) -> None:
    """An entry every free agent passed on is offered round again once it has waited one
    more offer timeout."""
    for entry in QueueEntry.objects.filter(state=EntryState.WAITING).exclude(declined_by=[]):
        timeout = engine.settings_of(entry.team_id).offer_timeout
        if entry.queued_at <= now - timedelta(seconds=timeout):
            QueueEntry.objects.filter(pk=entry.pk, state=EntryState.WAITING).update(declined_by=[])
