"""The routing engine: a consumer of the event stream (settings.EVENT_CONSUMERS) that queues
tickets per team and channel and hands them to agents, by the team's mode, within caps and
presence (docs/routing.md).

A new ticket, a ticket moved to a team, a ticket handed back: it gets a `QueueEntry` in its
team's queue (if the team routes its channel). `dispatch` then walks the queue, highest customer
tier first, then arrival, and for each entry picks an agent: the customer's last agent when
online and under the cap, else by the mode (round-robin: the one longest without a new ticket;
least-loaded: the fewest open conversations), agents whose skills fit first. A live channel
(chat) gets an `Offer` the agent accepts within the team's timeout; other channels are assigned
at once, through `tickets.actions.update_ticket` (audit trail, events, SLA).

Atomic: each entry is taken with `SELECT … FOR UPDATE SKIP LOCKED` (PostgreSQL), so two
dispatchers never take the same one, and an agent's `Presence` row is locked (skipped when
another dispatcher holds it) before their load is counted and raised, so no cap is exceeded.
Whoever held it dispatches the queue again after commit, so nothing waits while an agent has
room. On SQLite the writers are serialised: every transaction is IMMEDIATE (config/settings.py),
so the second writer waits for the first to commit before it reads a load.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.db.models import Count
from django.db.models.signals import post_delete, post_save
from django.utils import timezone

from balie.accounts.models import Agent
from balie.core import realtime
from balie.core.actors import Actor, System
from balie.core.process_cache import ProcessCache
from balie.customers.models import Tier
from balie.tickets import actions as ticket_actions
from balie.tickets.events import Event, EventKind
from balie.tickets.models import OPEN_STATUSES, Ticket

from .models import (
    LIVE_CHANNELS,
    QUEUED_STATES,
    EntryState,
    Offer,
    OfferState,
    OverflowAction,
    Presence,
    PresenceState,
    QueueEntry,
    RoutingMode,
    TeamRouting,
)

ROUTING = System(label="Routering")
TIER_RANK = {Tier.STANDARD: 0, Tier.BUSINESS: 1, Tier.VIP: 2}
SUPERVISOR_GROUP = "routing.supervisor"


def ticket_group(ticket_id: int) -> str:
    return f"routing.ticket.{ticket_id}"


def queue_group(team_id: int) -> str:
    return f"routing.queue.{team_id}"


# --- settings per team, kept per process ----------------------------------------------------


def _load_settings() -> dict[int, TeamRouting]:
    return {row.team_id: row for row in TeamRouting.objects.all()}


team_settings: ProcessCache[dict[int, TeamRouting]] = ProcessCache(
    "routing-settings", _load_settings
)
post_save.connect(team_settings.forget, sender=TeamRouting, dispatch_uid="routing-settings")
post_delete.connect(team_settings.forget, sender=TeamRouting, dispatch_uid="routing-settings")


def settings_of(team_id: int) -> TeamRouting:
    found = team_settings.get().get(team_id)
    return found if found is not None else TeamRouting(team_id=team_id)


# --- the consumer ---------------------------------------------------------------------------

_busy: ContextVar[bool] = ContextVar("balie_routing_busy", default=False)


@contextmanager
def _engine_at_work():
    token = _busy.set(True)
    try:
        yield
    finally:
        _busy.reset(token)


def consume_events(events: Sequence[Event]) -> None:
    """The event stream's consumer: keeps the queues in step with the tickets. Acts on the
    state it finds, so an event it caused itself changes nothing."""
    if _busy.get():
        return
    touched: set[tuple[int, str]] = set()
    with _engine_at_work():
        for event in events:
            touched |= _follow(event)
        for team_id, channel in sorted(touched):
            dispatch(team_id, channel)


def _follow(event: Event) -> set[tuple[int, str]]:
    ticket = event.ticket
    if event.kind == EventKind.TICKET_CREATED:
        entry = enqueue(ticket)
        return {(entry.team_id, entry.channel)} if entry else set()
    if event.kind not in (EventKind.TICKET_UPDATED, EventKind.TICKET_REOPENED):
        return set()
    if event.kind == EventKind.TICKET_UPDATED and not (
        {"team", "status", "assignee"} & set(event.data)
    ):
        return set()
    return sync_ticket(ticket)


def sync_ticket(ticket: Ticket) -> set[tuple[int, str]]:
    """Bring the ticket's queue entry in line with the ticket (moved to another team, solved,
    assigned or unassigned by hand); returns the queues that changed."""
    touched: set[tuple[int, str]] = set()
    entry = active_entry(ticket)
    now = timezone.now()
    if entry is not None:
        touched.add((entry.team_id, entry.channel))
        if ticket.status not in OPEN_STATUSES or entry.team_id != ticket.team_id:
            close_entry(entry, state=EntryState.ENDED, at=now)
            entry = None
        elif ticket.assignee_id and (
            entry.state != EntryState.ASSIGNED or entry.agent_id != ticket.assignee_id
        ):
            _withdraw_offers(entry, at=now)
            entry.state, entry.agent_id = EntryState.ASSIGNED, ticket.assignee_id
            entry.assigned_at = entry.assigned_at or now
            entry.save(update_fields=["state", "agent", "assigned_at"])
        elif not ticket.assignee_id and entry.state == EntryState.ASSIGNED:
            close_entry(entry, state=EntryState.CANCELLED, at=now)
            entry = enqueue(ticket, arrived_at=entry.arrived_at)
    else:
        entry = enqueue(ticket)
    if entry is not None:
        touched.add((entry.team_id, entry.channel))
    return touched


def active_entry(ticket: Ticket, *, lock: bool = False) -> QueueEntry | None:
    qs = QueueEntry.objects.filter(
        ticket_id=ticket.pk, state__in=[EntryState.WAITING, EntryState.OFFERED, EntryState.ASSIGNED]
    )
    if lock:
        qs = qs.select_for_update()
    return qs.first()


def enqueue(
    ticket: Ticket,
    *,
    arrived_at: Any = None,
    via_overflow: bool = False,
    declined_by: Iterable[int] = (),
) -> QueueEntry | None:
    """Queue an open, unassigned ticket in its team's queue, if the team routes its channel;
    a full queue overflows it (to another team, or it leaves the queue)."""
    if not ticket.team_id or ticket.assignee_id or ticket.status not in OPEN_STATUSES:
        return None
    settings = settings_of(ticket.team_id)
    if not settings.routes(ticket.channel):
        return None
    if active_entry(ticket) is not None:
        return None
    now = timezone.now()
    tier = Ticket.objects.filter(pk=ticket.pk).values_list("customer__tier", flat=True).first()
    entry = QueueEntry.objects.create(
        ticket=ticket,
        team_id=ticket.team_id,
        channel=ticket.channel,
        language=ticket.language or "",
        topic=str((ticket.claims or {}).get("topic", ""))[:50],
        tier_rank=TIER_RANK.get(tier, 0),
        arrived_at=arrived_at or now,
        queued_at=now,
        declined_by=sorted(set(declined_by)),
        via_overflow=via_overflow,
    )
    limit = settings.overflow_queue_length
    if limit is not None and not via_overflow and arrived_at is None:
        waiting = QueueEntry.objects.filter(
            team_id=entry.team_id, channel=entry.channel, state__in=QUEUED_STATES
        ).count()
        if waiting > limit and not _room_now(entry):
            overflow(entry, settings, at=now)
            return None
    return entry


def _room_now(entry: QueueEntry) -> bool:
    """Whether an agent could take the entry right away (then a long queue is no reason to
    overflow: it is being worked through)."""
    return bool(candidates(entry, settings_of(entry.team_id)))


def overflow(entry: QueueEntry, settings: TeamRouting, *, at: Any) -> None:
    """The team's queue is too long or the wait too long: the entry leaves this queue, to the
    overflow team's or to leave-a-message (the customer is told; the ticket stays open in the
    team's inbox)."""
    _withdraw_offers(entry, at=at)
    close_entry(entry, state=EntryState.OVERFLOWED, at=at)
    ticket = entry.ticket
    action = settings.overflow_action
    target = settings.overflow_team_id
    if action == OverflowAction.TEAM and target and target != entry.team_id:
        with _engine_at_work():
            ticket_actions.update_ticket(ticket, by=ROUTING, team=settings.overflow_team)
        moved = enqueue(ticket, arrived_at=entry.arrived_at, via_overflow=True)
        realtime.publish(
            [ticket_group(ticket.pk)],
            "routing.overflowed",
            {"ticket": ticket.pk, "action": "team", "team": target},
        )
        if moved is not None:
            dispatch(moved.team_id, moved.channel)
    else:
        realtime.publish(
            [ticket_group(ticket.pk)],
            "routing.overflowed",
            {"ticket": ticket.pk, "action": "message", "team": entry.team_id},
        )
    publish_queue(entry.team_id, entry.channel)


def close_entry(entry: QueueEntry, *, state: str, at: Any) -> None:
    _withdraw_offers(entry, at=at)
    entry.state, entry.ended_at = state, at
    entry.save(update_fields=["state", "ended_at"])


def _withdraw_offers(entry: QueueEntry, *, at: Any, state: str = OfferState.WITHDRAWN) -> None:
    for offer in Offer.objects.filter(entry=entry, state=OfferState.OFFERED):
        close_offer(offer, state=state, at=at)


def close_offer(offer: Offer, *, state: str, at: Any) -> None:
    offer.state, offer.answered_at = state, at
    offer.save(update_fields=["state", "answered_at"])
    realtime.publish(
        [f"agent.{offer.agent_id}"],
        "routing.offer_closed",
        {"offer": offer.pk, "ticket": offer.ticket_id, "team": offer.entry.team_id, "state": state},
    )


# --- loads and candidates -------------------------------------------------------------------


def loads(agent_ids: Iterable[int], channel: str) -> dict[int, int]:
    """Open conversations per agent: for a live channel the chats they have and the offers
    waiting for them; for the others, their open tickets outside the live channels."""
    ids = list(agent_ids)
    result = dict.fromkeys(ids, 0)
    if not ids:
        return result
    if channel in LIVE_CHANNELS:
        for agent_id, n in (
            QueueEntry.objects.filter(
                agent_id__in=ids, state=EntryState.ASSIGNED, channel__in=LIVE_CHANNELS
            )
            .values_list("agent_id")
            .annotate(n=Count("id"))
        ):
            result[agent_id] += n
        for agent_id, n in (
            Offer.objects.filter(agent_id__in=ids, state=OfferState.OFFERED)
            .values_list("agent_id")
            .annotate(n=Count("id"))
        ):
            result[agent_id] += n
    else:
        for agent_id, n in (
            Ticket.objects.filter(assignee_id__in=ids, status__in=OPEN_STATUSES)
            .exclude(channel__in=LIVE_CHANNELS)
            .values_list("assignee_id")
            .annotate(n=Count("id"))
        ):
            result[agent_id] += n
    return result


def cap_of(settings: TeamRouting, channel: str) -> int | None:
    return settings.cap if channel in LIVE_CHANNELS else settings.ticket_cap


def online_members(team_id: int) -> list[Presence]:
    return list(
        Presence.objects.filter(
            state=PresenceState.ONLINE, agent__teams=team_id, agent__user__is_active=True
        )
        .select_related("agent__routing_skills")
        .order_by("agent_id")
    )


def last_agent_of(entry: QueueEntry) -> int | None:
    """The agent who last handled one of this customer's other tickets."""
    return (
        Ticket.objects.filter(customer_id=entry.ticket.customer_id, assignee__isnull=False)
        .exclude(pk=entry.ticket_id)
        .order_by("-last_message_at", "-id")
        .values_list("assignee_id", flat=True)
        .first()
    )


def candidates(entry: QueueEntry, settings: TeamRouting) -> list[Presence]:
    """The online members of the entry's team with room, best first."""
    members = [p for p in online_members(entry.team_id) if p.agent_id not in entry.declined_by]
    if not members:
        return []
    cap = cap_of(settings, entry.channel)
    load = loads([p.agent_id for p in members], entry.channel)
    free = [p for p in members if cap is None or load[p.agent_id] < cap]
    if not free:
        return []
    never = timezone.now() - timedelta(days=3650)

    def fits(p: Presence) -> bool:
        skills = getattr(p.agent, "routing_skills", None)
        return skills is None or skills.fits(language=entry.language, topic=entry.topic)

    def order(p: Presence) -> tuple:
        turn = p.last_assigned_at or never
        if settings.mode == RoutingMode.LEAST_LOADED:
            return (not fits(p), load[p.agent_id], turn, p.agent_id)
        return (not fits(p), turn, p.agent_id)

    free.sort(key=order)
    sticky = last_agent_of(entry)
    if sticky is not None:
        free.sort(key=lambda p: p.agent_id != sticky)
    return free


# --- dispatch -------------------------------------------------------------------------------


def dispatch(team_id: int, channel: str, *, limit: int = 200) -> int:
    """Hand out the team's queue for one channel as far as agents have room; returns how many
    entries were offered or assigned."""
    settings = settings_of(team_id)
    handed = 0
    if settings.mode != RoutingMode.MANUAL:
        skip: list[int] = []
        with _engine_at_work():
            while handed < limit:
                outcome = _place_next(team_id, channel, settings, skip)
                if outcome is None:
                    break
                if outcome:
                    handed += 1
        if handed and transaction.get_connection().in_atomic_block:
            # The agents locked here were skipped by other dispatchers until this commits:
            # look at the queue again then.
            transaction.on_commit(lambda: dispatch(team_id, channel))
    publish_queue(team_id, channel)
    return handed


def _place_next(team_id: int, channel: str, settings: TeamRouting, skip: list[int]) -> bool | None:
    """Place the first waiting entry that can be placed: True when placed, False when the
    first one could not be but a later one may (its only free agents declined it), None when
    there is nothing more to do."""
    with transaction.atomic():
        entry = (
            QueueEntry.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(team_id=team_id, channel=channel, state=EntryState.WAITING)
            .exclude(pk__in=skip)
            .select_related("ticket")
            .order_by("-tier_rank", "arrived_at", "id")
            .first()
        )
        if entry is None:
            return None
        ranked = candidates(entry, settings)
        if not ranked:
            # Nobody has room for it. If somebody would have but declined, a later entry may
            # still go to them; else the queue waits.
            if entry.declined_by and _anyone_free(entry, settings):
                skip.append(entry.pk)
                return False
            return None
        cap = cap_of(settings, channel)
        for presence in ranked:
            locked = (
                Presence.objects.select_for_update(skip_locked=True)
                .filter(pk=presence.pk, state=PresenceState.ONLINE)
                .first()
            )
            if locked is None:
                continue  # another dispatcher is placing work with this agent right now
            if cap is not None and loads([locked.agent_id], channel)[locked.agent_id] >= cap:
                continue
            _hand_to(entry, locked, settings)
            return True
        skip.append(entry.pk)
        return False


def _anyone_free(entry: QueueEntry, settings: TeamRouting) -> bool:
    members = online_members(entry.team_id)
    cap = cap_of(settings, entry.channel)
    load = loads([p.agent_id for p in members], entry.channel)
    return any(cap is None or load[p.agent_id] < cap for p in members)


def _hand_to(entry: QueueEntry, presence: Presence, settings: TeamRouting) -> None:
    now = timezone.now()
    presence.last_assigned_at = now
    presence.save(update_fields=["last_assigned_at"])
    agent = presence.agent
    if entry.channel in LIVE_CHANNELS:
        offer = Offer.objects.create(
            ticket_id=entry.ticket_id,
            entry=entry,
            agent=agent,
            created_at=now,
            expires_at=now + timedelta(seconds=settings.offer_timeout),
        )
        entry.state, entry.agent = EntryState.OFFERED, agent
        entry.save(update_fields=["state", "agent"])
        realtime.publish(
            [f"agent.{agent.pk}"],
            "routing.offer",
            {
                "offer": offer.pk,
                "ticket": entry.ticket_id,
                "team": entry.team_id,
                "channel": entry.channel,
                "expires_at": offer.expires_at.isoformat(),
                "timeout": settings.offer_timeout,
            },
        )
        return
    assign_entry(entry, agent, by=ROUTING, at=now)


def assign_entry(entry: QueueEntry, agent: Agent, *, by: Actor, at: Any) -> None:
    """The entry's ticket goes to the agent (audit trail and events through the ticket
    actions)."""
    entry.state, entry.agent, entry.assigned_at = EntryState.ASSIGNED, agent, at
    entry.save(update_fields=["state", "agent", "assigned_at"])
    ticket = Ticket.objects.select_for_update().get(pk=entry.ticket_id)
    with _engine_at_work():
        ticket_actions.update_ticket(ticket, by=by, assignee=agent)
    entry.ticket = ticket
    data = {
        "ticket": ticket.pk,
        "team": entry.team_id,
        "channel": entry.channel,
        "agent": agent.pk,
        "agent_name": agent.display_name,
    }
    realtime.publish([f"agent.{agent.pk}", ticket_group(ticket.pk)], "routing.assigned", data)


def requeue(
    ticket: Ticket, *, reason: str, by: Actor, team: Any = None, exclude: Iterable[int] = ()
) -> QueueEntry | None:
    """Take the ticket from its agent and put it back in a queue (its team's, or `team`),
    keeping its first arrival time."""
    now = timezone.now()
    entry = active_entry(ticket, lock=True)
    arrived_at = entry.arrived_at if entry else None
    old_agent = ticket.assignee_id or (entry.agent_id if entry else None)
    if entry is not None:
        close_entry(entry, state=EntryState.CANCELLED, at=now)
    fields: dict[str, Any] = {"assignee": None}
    if team is not None:
        fields["team"] = team
    with _engine_at_work():
        ticket_actions.update_ticket(ticket, by=by, **fields)
    new_entry = enqueue(ticket, arrived_at=arrived_at, declined_by=exclude)
    groups = [ticket_group(ticket.pk)]
    if old_agent:
        groups.append(f"agent.{old_agent}")
    realtime.publish(
        groups, "routing.requeued", {"ticket": ticket.pk, "team": ticket.team_id, "reason": reason}
    )
    return new_entry


# --- live queue figures ---------------------------------------------------------------------


def publish_queue(team_id: int, channel: str) -> None:
    waiting = QueueEntry.objects.filter(
        team_id=team_id, channel=channel, state__in=QUEUED_STATES
    ).count()
    realtime.publish(
        [SUPERVISOR_GROUP, queue_group(team_id)],
        "routing.queue",
        {"team": team_id, "channel": channel, "waiting": waiting},
    )


def waiting_entries(team_id: int, channel: str):
    return QueueEntry.objects.filter(
        team_id=team_id, channel=channel, state__in=QUEUED_STATES
    ).order_by("-tier_rank", "arrived_at", "id")


def busy_queues() -> list[tuple[int, str]]:
    return sorted(
        set(
            QueueEntry.objects.filter(state=EntryState.WAITING)
            .values_list("team_id", "channel")
            .distinct()
        )
    )
