"""The chat benchmark's data, made inside Django (called by `bench.django_side chat N`): the
chat account `bench`, `talkers` real chats started through the widget's own path and assigned
to one agent with a session, and the other visitor sessions made in bulk (a ticket each), so
that thousands of sessions take seconds, not the measurement's time."""

from __future__ import annotations

import uuid
from typing import Any

ACCOUNT = "bench"


def chat(count: int, talkers: int) -> dict[str, Any]:
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore
    from django.utils import timezone

    from balie.accounts.models import Agent, Team
    from balie.chat import actions
    from balie.chat.models import ChatSession, new_token, token_hash
    from balie.customers.models import Customer
    from balie.demo.seeding import ensure_staff
    from balie.messaging.models import ChannelAccount
    from balie.tickets.actions import new_ticket_row
    from balie.tickets.models import Ticket

    ensure_staff()
    account, _ = ChannelAccount.objects.get_or_create(
        kind="chat", address=ACCOUNT, defaults={"name": "Bench", "config": {"origins": ["self"]}}
    )
    # A run with --reuse: the chats of earlier runs are over (the agent's workspace would
    # otherwise open every one of them while this run measures).
    ChatSession.objects.filter(account=account).exclude(state="ended").update(
        state="ended", ended_at=timezone.now(), end_reason="bench"
    )
    team = Team.objects.get(slug="klantenservice")
    agent = Agent.objects.filter(teams=team).order_by("id").first()
    assert agent is not None
    talking = []
    for i in range(talkers):
        started = actions.start_chat(
            account,
            name=f"Bezoeker {i}",
            email=f"bench-chat-{i}@example.nl",
            text="Hallo, ik heb een vraag",
            client_id=f"first-{i}",
        )
        talking.append(started)
    Ticket.objects.filter(pk__in=[s.session.ticket_id for s in talking]).update(assignee=agent)
    customer = Customer.objects.order_by("id").first()
    assert customer is not None
    rest = count - talkers
    # The other sessions are in conversation with the team's other agents, as on a busy day
    # (a visitor waiting in the queue is told their place, one read per socket, and the
    # measured agent's workspace would open every chat of theirs).
    agents = list(Agent.objects.filter(teams=team).exclude(pk=agent.pk).order_by("id"))
    rows = [
        new_ticket_row(customer=customer, subject="Bench-chat", channel="chat", team=team)
        for _ in range(rest)
    ]
    for i, row in enumerate(rows):
        row.assignee = agents[i % len(agents)] if agents else None
    tickets = Ticket.objects.bulk_create(rows, batch_size=1000)
    tokens = [new_token() for _ in range(rest)]
    now = timezone.now()
    ChatSession.objects.bulk_create(
        [
            ChatSession(
                account=account, token_hash=token_hash(token), public_id=uuid.uuid4().hex,
                ticket=ticket, team=team, name="Bezoeker", email="bench@example.nl",
                started_at=now, last_visitor_at=now,
                state="active" if ticket.assignee_id else "waiting",
                accepted_at=now if ticket.assignee_id else None, agent_id=ticket.assignee_id,
            )
            for token, ticket in zip(tokens, tickets, strict=True)
        ],
        batch_size=1000,
    )  # fmt: skip
    session = SessionStore()
    session[SESSION_KEY] = str(agent.user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = agent.user.get_session_auth_hash()
    session.create()
    return {
        "account": ACCOUNT,
        "talkers": [[s.token, s.session.ticket_id] for s in talking],
        "idle": tokens,
        "agent_session": session.session_key,
    }
