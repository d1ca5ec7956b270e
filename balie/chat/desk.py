"""The agents' side of a chat: which chats an agent has and may open, what is shown beside
one, and accepting and transferring through the routing engine (it decides who gets which
chat; an agent may also take a waiting chat of their own team by hand, within their cap, as in
a team whose routing mode is manual)."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext as _

from balie.accounts.models import Agent, Team
from balie.intake.topics import TOPICS
from balie.routing import actions as routing_actions
from balie.routing.models import routing_for
from balie.tickets.access import tickets_for
from balie.tickets.models import Ticket

from . import actions
from .actions import ChatError
from .models import ChatSession, ChatState

DEFAULT_CAP = 3
EARLIER_TICKETS = 5


def cap_of(agent: Agent) -> int:
    """How many chats the agent may have side by side: the smallest routing cap of their
    teams (3 by default)."""
    caps = [routing_for(team).cap for team in agent.teams.all()]
    return min([c for c in caps if c] or [DEFAULT_CAP])


def open_chats(agent: Agent) -> list[ChatSession]:
    return list(
        ChatSession.objects.select_related("ticket", "ticket__customer")
        .filter(ticket__assignee=agent)
        .exclude(state=ChatState.ENDED)
        .order_by("started_at")
    )


def waiting_chats(agent: Agent) -> list[ChatSession]:
    """Chats nobody has yet, of the agent's teams, oldest first: by the ticket's team, which
    follows a transfer or routing's overflow to another team."""
    visible = tickets_for(agent).filter(assignee__isnull=True, chat__state=ChatState.WAITING)
    return list(
        ChatSession.objects.select_related("ticket")
        .filter(ticket__in=visible, ticket__team_id__in=agent.team_ids() or [0])
        .order_by("started_at")[:50]
    )


def chat_for(agent: Agent, ticket_number: int) -> ChatSession:
    """The chat of a ticket the agent may see; ChatError otherwise (no difference between
    hidden and missing)."""
    session = (
        ChatSession.objects.select_related("ticket", "ticket__customer", "account")
        .filter(ticket__in=tickets_for(agent), ticket_id=ticket_number)
        .first()
    )
    if session is None:
        raise ChatError(_("Dit chatgesprek bestaat niet of is niet voor u."))
    return session


def summary(session: ChatSession) -> dict[str, Any]:
    return {
        "ticket": session.ticket_id,
        "name": session.name,
        "email": session.email,
        "topic": session.topic,
        "topic_label": str(dict(TOPICS).get(session.topic, session.topic)),
        "language": session.language,
        "started": session.started_at.isoformat(),
        "state": session.state,
    }


def offered(agent: Agent, ticket_number: int) -> dict[str, Any]:
    """What an offer shows: the chat's summary, or for a chat ticket no visitor is on (filed
    by an agent, an old one handed back) its number and subject; nothing for a hidden one."""
    try:
        return summary(chat_for(agent, ticket_number))
    except ChatError:
        pass
    ticket = tickets_for(agent).filter(pk=ticket_number).values("subject", "created_at").first()
    if ticket is None:
        return {}
    return {
        "name": f"#{ticket_number} {ticket['subject']}",
        "topic": "",
        "topic_label": "",
        "started": ticket["created_at"].isoformat(),
        "url": reverse("tickets:detail", args=[ticket_number]),
    }


def beside(session: ChatSession) -> dict[str, Any]:
    """What the workspace shows beside a chat: the visitor's page and language, what they
    typed (unverified), and their earlier tickets."""
    ticket = session.ticket
    assert ticket is not None
    earlier = (
        Ticket.objects.filter(customer=ticket.customer)
        .exclude(pk=ticket.pk)
        .order_by("-id")
        .values("id", "subject", "status", "channel")[:EARLIER_TICKETS]
    )
    return {
        **summary(session),
        "page": session.page_url,
        "page_title": session.page_title,
        "customer_number": session.customer_number,
        "url": reverse("tickets:detail", args=[ticket.pk]),
        "earlier": [{**row, "url": reverse("tickets:detail", args=[row["id"]])} for row in earlier],
    }


def accept(agent: Agent, session: ChatSession, *, offer: int | None = None) -> None:
    """Take a chat: an offer the routing engine made, or (manual mode) a waiting chat."""
    if offer:
        routing_actions.accept_offer(offer, agent=agent)
        return
    if len(open_chats(agent)) >= cap_of(agent):
        raise ChatError(_("U heeft al het maximum aantal chats tegelijk."))
    with transaction.atomic():
        ticket = Ticket.objects.select_for_update().get(pk=session.ticket_id)
        if ticket.assignee_id and ticket.assignee_id != agent.pk:
            raise ChatError(_("Een collega heeft deze chat al aangenomen."))
        if ticket.assignee_id is None:
            routing_actions.force_assign(ticket, agent, by=agent)
    actions.announce(session, event="chat.assigned")


def transfer(
    agent: Agent, session: ChatSession, *, to_agent: int | None, to_team: int | None, note: str
) -> None:
    target_agent = Agent.objects.filter(pk=to_agent).first() if to_agent else None
    target_team = Team.objects.filter(pk=to_team).first() if to_team else None
    if target_agent is None and target_team is None:
        raise ChatError(_("Kies een collega of een team."))
    routing_actions.transfer(
        session.ticket, by=agent, to_agent=target_agent, to_team=target_team, note=note
    )
    if target_team is not None:
        ChatSession.objects.filter(pk=session.pk).update(team=target_team)
    actions.announce(session, event="chat.assigned")
