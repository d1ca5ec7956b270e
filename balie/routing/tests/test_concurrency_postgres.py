"""200 chats start at once against 10 online agents with a cap of 3 (PostgreSQL: the engine
takes queue entries with SKIP LOCKED and locks each agent's presence before raising their
load)."""

from __future__ import annotations

import threading
from collections import Counter

import pytest
from django.db import OperationalError, connection, transaction
from django.db.models import Count

from balie.accounts.tests.factories import AgentFactory, TeamFactory, UserFactory
from balie.core.actors import SYSTEM
from balie.customers.models import Customer
from balie.routing import actions
from balie.routing.models import (
    EntryState,
    Offer,
    OfferState,
    PresenceState,
    QueueEntry,
    TeamRouting,
)
from balie.tickets.actions import create_ticket
from balie.tickets.models import Activity, Ticket

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="row locks that others skip need PostgreSQL"
)

CHATS, AGENTS, CAP = 200, 10, 3


def loads() -> dict[int, int]:
    assigned = Counter(
        dict(
            QueueEntry.objects.filter(state=EntryState.ASSIGNED)
            .values_list("agent_id")
            .annotate(n=Count("id"))
        )
    )
    offered = Counter(
        dict(
            Offer.objects.filter(state=OfferState.OFFERED)
            .values_list("agent_id")
            .annotate(n=Count("id"))
        )
    )
    return dict(assigned + offered)


@pytest.mark.django_db(transaction=True)
def test_200_chats_at_once_never_exceed_a_cap_nor_go_to_two_agents():
    team = TeamFactory(name="Chat", slug="chat")
    TeamRouting.objects.create(team=team, cap=CAP, offer_timeout=600)  # a busy test machine
    agents = [
        AgentFactory(user=UserFactory(username=f"chatter{i}"), teams=[team]) for i in range(AGENTS)
    ]
    for agent in agents:
        actions.set_presence(agent, PresenceState.ONLINE)
    customers = [Customer.objects.create(name=f"Bezoeker {i}") for i in range(CHATS)]

    start = threading.Barrier(CHATS)
    errors: list[BaseException] = []

    def start_chat(customer: Customer) -> None:
        try:
            start.wait(30)
            for attempt in range(10):
                try:
                    with transaction.atomic():
                        create_ticket(
                            customer=customer, subject="Chat", channel="chat", team=team, by=SYSTEM
                        )
                    break
                except OperationalError:
                    # 200 threads share the pool's 10 connections; on a busy machine one may
                    # wait longer than the pool's timeout, as a request would: try again.
                    connection.close()
                    if attempt == 9:
                        raise
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=start_chat, args=(c,)) for c in customers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors, errors[:3]
    assert Ticket.objects.filter(channel="chat").count() == CHATS

    # The burst is placed: every agent exactly at the cap, each chat with one agent at most.
    actions.tick()
    assert loads() == {agent.pk: CAP for agent in agents}
    open_offers = Offer.objects.filter(state=OfferState.OFFERED)
    assert open_offers.count() == AGENTS * CAP
    assert open_offers.values("ticket").distinct().count() == AGENTS * CAP
    waiting = list(
        QueueEntry.objects.filter(state=EntryState.WAITING).order_by(
            "-tier_rank", "arrived_at", "id"
        )
    )
    assert len(waiting) == CHATS - AGENTS * CAP

    by_agent = {a.pk: a for a in agents}
    for offer in list(open_offers):
        actions.accept_offer(offer.pk, agent=by_agent[offer.agent_id])
    assert loads() == {agent.pk: CAP for agent in agents}

    # As chats end, the waiting ones follow in arrival order, ending chats in parallel.
    served: list[int] = []
    lock = threading.Lock()

    def work(agent) -> None:
        try:
            while True:
                try:
                    if not turn(agent):
                        return
                except OperationalError:  # the pool was busy for longer than its timeout
                    connection.close()
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            connection.close()

    def turn(agent) -> bool:
        """One turn of an agent: accept what is offered, end one chat; False when all done."""
        mine = list(
            Ticket.objects.filter(
                queue_entries__agent=agent, queue_entries__state=EntryState.ASSIGNED
            ).values_list("pk", flat=True)
        )
        offers = list(Offer.objects.filter(agent=agent, state=OfferState.OFFERED))
        for offer in offers:
            actions.accept_offer(offer.pk, agent=agent)
            with lock:
                served.append(offer.ticket_id)
        if not mine and not offers:
            if not QueueEntry.objects.filter(state__in=["waiting", "offered"]).exists():
                return False
            actions.tick()
            connection.close()
            return True
        if mine:
            actions.finish(Ticket.objects.get(pk=mine[0]), by=agent)
        assert max(loads().values(), default=0) <= CAP
        connection.close()  # back to the pool between turns: 10 agents, 10 connections
        return True

    connection.close()  # the pool's 10 connections are the 10 agents'
    workers = [threading.Thread(target=work, args=(a,)) for a in agents]
    for thread in workers:
        thread.start()
    for thread in workers:
        thread.join(120)
    assert not errors, errors[:3]
    assert sorted(served) == sorted(e.ticket_id for e in waiting)
    # Arrival order, give or take the chats being placed at the same moment by other agents:
    # the order in which the engine offered them (its offers' sequence), not the order in which
    # the agents' threads happened to get the interpreter back to accept them.
    order = {e.ticket_id: i for i, e in enumerate(waiting)}
    offered: list[int] = []
    for ticket_id in (
        Offer.objects.filter(ticket_id__in=order).order_by("id").values_list("ticket_id", flat=True)
    ):
        if ticket_id not in offered:
            offered.append(ticket_id)
    assert sorted(offered) == sorted(order)
    late = sum(1 for i, t in enumerate(offered) if abs(order[t] - i) > AGENTS * 2)
    assert late == 0
    # Nothing assigned twice: one assignment per chat in the audit trail.
    per_ticket = Counter(
        Activity.objects.filter(kind="ticket.assigned").values_list("ticket_id", flat=True)
    )
    assert len(per_ticket) == CHATS and set(per_ticket.values()) == {1}
