"""What agents and supervisors do with the routing: presence, heartbeats, offers, handing a
conversation back or on, and a supervisor's forced assignment."""

from __future__ import annotations

from typing import Any

from django.core.cache import cache
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from balie.accounts.models import Agent, Team
from balie.core import realtime
from balie.core.actors import Actor
from balie.tickets import actions as ticket_actions
from balie.tickets.models import Ticket

from . import engine
from .models import (
    LIVE_CHANNELS,
    AwayReason,
    EntryState,
    Offer,
    OfferState,
    Presence,
    PresenceState,
    QueueEntry,
)


class RoutingError(ValueError):
    """An action that cannot be done; the message says why, for the agent."""


class OfferGone(RoutingError):
    """The offer was already answered, withdrawn or expired."""


def _presence_row(agent: Agent) -> Presence:
    Presence.objects.get_or_create(agent=agent)
    return Presence.objects.select_for_update().select_related("agent").get(agent=agent)


def set_presence(
    agent: Agent, state: str, *, reason: str = "", by: Actor | None = None
) -> Presence:
    """Online, away (with a reason: break, meeting) or offline. Away withdraws the offers
    waiting for the agent; offline also hands their open chats back to the queue; online
    gives them the waiting work at once."""
    if state not in PresenceState.values:
        raise RoutingError(_("Onbekende status: %(state)s") % {"state": state})
    if state == PresenceState.AWAY:
        reason = reason or AwayReason.BREAK
        if reason not in AwayReason.values:
            raise RoutingError(_("Onbekende reden: %(reason)s") % {"reason": reason})
    else:
        reason = ""
    now = timezone.now()
    with transaction.atomic():
        presence = _presence_row(agent)
        changed = (presence.state, presence.reason) != (state, reason)
        presence.state, presence.reason = state, reason
        if changed:
            presence.changed_at = now
        presence.last_heartbeat_at = now
        if state == PresenceState.ONLINE:
            presence.last_active_at = now
        presence.save()
        touched = _leave(agent, state=state, at=now, by=by or agent)
        if changed:
            realtime.publish(
                [engine.SUPERVISOR_GROUP, f"agent.{agent.pk}"],
                "routing.presence",
                {"agent": agent.pk, "state": state, "reason": reason},
            )
    if state == PresenceState.ONLINE:
        touched |= {(team_id, channel) for team_id in agent.team_ids() for channel in _channels()}
    for team_id, channel in sorted(touched):
        engine.dispatch(team_id, channel)
    return presence


def _channels() -> tuple[str, ...]:
    """The channels any team routes (queues to look at when an agent comes online)."""
    found = {c for s in engine.team_settings.get().values() for c in (s.routed_channels or [])}
    return tuple(sorted(found | set(LIVE_CHANNELS)))


def _leave(agent: Agent, *, state: str, at: Any, by: Actor) -> set[tuple[int, str]]:
    """An agent no longer online: their offers go back to the queue; offline, their open
    chats too."""
    touched: set[tuple[int, str]] = set()
    if state == PresenceState.ONLINE:
        return touched
    for offer in Offer.objects.filter(agent=agent, state=OfferState.OFFERED).select_related(
        "entry"
    ):
        entry = offer.entry
        engine.close_offer(offer, state=OfferState.WITHDRAWN, at=at)
        entry.state, entry.agent, entry.queued_at = EntryState.WAITING, None, at
        entry.save(update_fields=["state", "agent", "queued_at"])
        touched.add((entry.team_id, entry.channel))
    if state == PresenceState.OFFLINE:
        for entry in QueueEntry.objects.filter(
            agent=agent, state=EntryState.ASSIGNED, channel__in=LIVE_CHANNELS
        ).select_related("ticket"):
            engine.requeue(entry.ticket, reason="offline", by=engine.ROUTING, exclude=[agent.pk])
            touched.add((entry.team_id, entry.channel))
    return touched


HEARTBEAT_WRITE_EVERY = 15  # seconds: a heartbeat within this of the last one writes nothing


def heartbeat(agent: Agent, *, active: bool = True) -> Presence:
    """The agent's page is open (every ~20 s); `active`: they used it since the last one. An
    agent away for inactivity who is active again is online again. Also runs the periodic
    checks (offer timeouts, auto-away, offline), at most every few seconds."""
    now = timezone.now()
    presence = Presence.objects.filter(agent=agent).first()
    if presence is None:
        presence = Presence.objects.create(agent=agent, changed_at=now, last_heartbeat_at=now)
    back = (
        active and presence.state == PresenceState.AWAY and presence.reason == AwayReason.INACTIVE
    )
    if back:
        presence = set_presence(agent, PresenceState.ONLINE)
    else:
        stale = (
            presence.last_heartbeat_at is None
            or (now - presence.last_heartbeat_at).total_seconds() >= HEARTBEAT_WRITE_EVERY
        )
        fields = {"last_heartbeat_at": now} if stale else {}
        if active:
            fields["last_active_at"] = now
        if fields:
            Presence.objects.filter(pk=presence.pk).update(**fields)
            for name, value in fields.items():
                setattr(presence, name, value)
    if cache.add("routing:lazy-tick", 1, timeout=3):
        from .queues import tick

        tick(now=now)
        presence.refresh_from_db()
    return presence


def load_of(agent: Agent) -> int:
    """The agent's open chats and the offers waiting for them."""
    return engine.loads([agent.pk], LIVE_CHANNELS[0])[agent.pk]


def _offer_for(offer: Offer | int, agent: Agent) -> Offer:
    pk = offer.pk if isinstance(offer, Offer) else offer
    found = Offer.objects.select_for_update().select_related("entry").filter(pk=pk).first()
    if found is None or found.agent_id != agent.pk:
        raise OfferGone(_("Dit aanbod bestaat niet (meer)."))
    return found


def accept_offer(offer: Offer | int, *, agent: Agent) -> Ticket:
    """The agent takes the chat offered to them: it is assigned to them."""
    now = timezone.now()
    expired = None
    with transaction.atomic():
        found = _offer_for(offer, agent)
        if found.state != OfferState.OFFERED:
            raise OfferGone(_("Dit aanbod is al beantwoord of ingetrokken."))
        entry = QueueEntry.objects.select_for_update().get(pk=found.entry_id)
        if found.expires_at <= now:
            _back_to_queue(found, entry, state=OfferState.EXPIRED, at=now)
            expired = entry
        else:
            found.state, found.answered_at = OfferState.ACCEPTED, now
            found.save(update_fields=["state", "answered_at"])
            realtime.publish(
                [f"agent.{agent.pk}"],
                "routing.offer_closed",
                {
                    "offer": found.pk,
                    "ticket": found.ticket_id,
                    "team": entry.team_id,
                    "state": OfferState.ACCEPTED,
                },
            )
            engine.assign_entry(entry, agent, by=agent, at=now)
    if expired is not None:
        engine.dispatch(expired.team_id, expired.channel)
        raise OfferGone(_("De tijd om deze chat aan te nemen is verstreken."))
    engine.publish_queue(entry.team_id, entry.channel)
    return Ticket.objects.get(pk=entry.ticket_id)


def decline_offer(offer: Offer | int, *, agent: Agent) -> None:
    """The agent passes: the chat is offered to the next agent."""
    now = timezone.now()
    with transaction.atomic():
        found = _offer_for(offer, agent)
        if found.state != OfferState.OFFERED:
            raise OfferGone(_("Dit aanbod is al beantwoord of ingetrokken."))
        entry = QueueEntry.objects.select_for_update().get(pk=found.entry_id)
        _back_to_queue(found, entry, state=OfferState.DECLINED, at=now)
    engine.dispatch(entry.team_id, entry.channel)


def _back_to_queue(offer: Offer, entry: QueueEntry, *, state: str, at: Any) -> None:
    engine.close_offer(offer, state=state, at=at)
    entry.state, entry.agent, entry.queued_at = EntryState.WAITING, None, at
    entry.declined_by = sorted({*entry.declined_by, offer.agent_id})
    entry.save(update_fields=["state", "agent", "queued_at", "declined_by"])


def finish(ticket: Ticket, *, by: Actor) -> None:
    """The conversation ended (the chat was closed, or the visitor left the queue): the
    agent's place is free for the next one in the queue."""
    now = timezone.now()
    with transaction.atomic():
        entry = engine.active_entry(ticket, lock=True)
        if entry is None:
            return
        engine.close_entry(
            entry,
            state=EntryState.ENDED if entry.state == EntryState.ASSIGNED else EntryState.CANCELLED,
            at=now,
        )
    engine.dispatch(entry.team_id, entry.channel)


def release(ticket: Ticket, *, by: Agent) -> QueueEntry | None:
    """The agent hands the ticket back: it returns to its team's queue at its first arrival
    time, and goes to someone else."""
    ticket = Ticket.objects.get(pk=ticket.pk)
    if ticket.assignee_id != by.pk and not by.is_team_lead:
        raise RoutingError(_("Alleen de behandelaar of een teamleider kan dit teruggeven."))
    if not ticket.is_open:
        raise RoutingError(_("Een opgelost of gesloten ticket gaat niet terug in de wachtrij."))
    with transaction.atomic():
        entry = engine.requeue(ticket, reason="released", by=by, exclude=[by.pk])
    if entry is not None:
        engine.dispatch(entry.team_id, entry.channel)
    return entry


def transfer(
    ticket: Ticket,
    *,
    by: Agent,
    to_agent: Agent | None = None,
    to_team: Team | None = None,
    note: str = "",
) -> Ticket:
    """Hand the conversation to a colleague (who must be online and have room) or to another
    team's queue, with an internal note for whoever takes it."""
    if (to_agent is None) == (to_team is None):
        raise RoutingError(_("Kies een collega of een team."))
    ticket = Ticket.objects.get(pk=ticket.pk)
    if not ticket.is_open:
        raise RoutingError(_("Een opgelost of gesloten ticket kan niet worden doorgezet."))
    with transaction.atomic():
        if note.strip():
            ticket_actions.add_note(ticket, by=by, text=note.strip())
        if to_agent is not None:
            if to_agent.pk == ticket.assignee_id:
                raise RoutingError(_("Dit ticket is al van %(name)s.") % {"name": to_agent})
            presence = _presence_row(to_agent)
            if presence.state != PresenceState.ONLINE:
                raise RoutingError(_("%(name)s is niet beschikbaar.") % {"name": to_agent})
            if ticket.channel in LIVE_CHANNELS:
                cap = engine.cap_of(engine.settings_of(ticket.team_id or 0), ticket.channel)
                if cap is not None and load_of(to_agent) >= cap:
                    raise RoutingError(
                        _("%(name)s heeft al het maximale aantal chats.") % {"name": to_agent}
                    )
            _assign_now(ticket, to_agent, by=by)
            return Ticket.objects.get(pk=ticket.pk)
        entry = engine.requeue(ticket, reason="transfer", by=by, team=to_team)
    if entry is not None:
        engine.dispatch(entry.team_id, entry.channel)
    return Ticket.objects.get(pk=ticket.pk)


def force_assign(ticket: Ticket, agent: Agent, *, by: Agent) -> Ticket:
    """A team lead gives the ticket to an agent, whatever their presence and load; an agent
    may take a ticket of their own team for themselves (a manual-mode queue)."""
    ticket = Ticket.objects.get(pk=ticket.pk)
    taking = by.pk == agent.pk and ticket.team_id in agent.team_ids()
    if not (by.is_team_lead or taking):
        raise RoutingError(_("Alleen teamleiders en beheerders kunnen een ticket toewijzen."))
    if not ticket.is_open:
        raise RoutingError(_("Een opgelost of gesloten ticket kan niet worden toegewezen."))
    with transaction.atomic():
        _assign_now(ticket, agent, by=by)
    return Ticket.objects.get(pk=ticket.pk)


def _assign_now(ticket: Ticket, agent: Agent, *, by: Agent) -> None:
    now = timezone.now()
    entry = engine.active_entry(ticket, lock=True)
    old_agent = ticket.assignee_id
    if entry is None and ticket.team_id and ticket.channel in LIVE_CHANNELS:
        # A chat outside any queue (its team routes no chat): counted from now on.
        entry = QueueEntry.objects.create(
            ticket=ticket,
            team_id=ticket.team_id,
            channel=ticket.channel,
            language=ticket.language,
            arrived_at=now,
            queued_at=now,
        )
    if entry is None:
        with engine._engine_at_work():
            ticket_actions.update_ticket(ticket, by=by, assignee=agent)
        return
    engine._withdraw_offers(entry, at=now)
    engine.assign_entry(entry, agent, by=by, at=now)
    if old_agent and old_agent != agent.pk:
        realtime.publish(
            [f"agent.{old_agent}"],
            "routing.requeued",
            {"ticket": ticket.pk, "team": ticket.team_id, "reason": "transfer"},
        )
    engine.publish_queue(entry.team_id, entry.channel)
