"""The routing engine per mode, cap, timeout, stickiness, tier, overflow and presence."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from balie.core.actors import SYSTEM
from balie.routing import actions
from balie.routing.models import (
    AgentSkills,
    EntryState,
    Offer,
    OfferState,
    OverflowAction,
    PresenceState,
    QueueEntry,
    RoutingMode,
    TeamRouting,
)
from balie.tickets.actions import update_ticket
from balie.tickets.models import Activity, Status

pytestmark = pytest.mark.django_db


def open_offer(ticket):
    return Offer.objects.filter(ticket=ticket, state=OfferState.OFFERED).first()


def configure(team, **fields):
    row = TeamRouting.objects.get(team=team)
    for name, value in fields.items():
        setattr(row, name, value)
    row.save()


def test_a_new_chat_is_offered_and_accepting_assigns_it_with_an_audit_entry(
    make_agent, new_ticket, published, django_capture_on_commit_callbacks
):
    anna = make_agent("Annie")
    with django_capture_on_commit_callbacks(execute=True):
        ticket = new_ticket()
    offer = open_offer(ticket)
    assert offer.agent == anna
    assert (offer.expires_at - offer.created_at).total_seconds() == 30
    ticket.refresh_from_db()
    assert ticket.assignee is None  # an offer is not yet an assignment

    with django_capture_on_commit_callbacks(execute=True):
        accepted = actions.accept_offer(offer.pk, agent=anna)
    assert accepted.assignee == anna
    assert accepted.status == Status.OPEN
    assert Activity.objects.filter(ticket=ticket, kind="ticket.assigned").exists()
    assert actions.load_of(anna) == 1
    events = [(groups, name) for groups, name, _data in published]
    assert ([f"agent.{anna.pk}"], "routing.offer") in events
    assert ([f"agent.{anna.pk}", f"routing.ticket.{ticket.pk}"], "routing.assigned") in events


def test_an_offer_not_accepted_in_time_goes_to_the_next_agent(make_agent, new_ticket):
    anna, bob = make_agent("Annie"), make_agent("Bob")
    ticket = new_ticket()
    first = open_offer(ticket)
    actions.tick(now=timezone.now() + timedelta(seconds=31))
    first.refresh_from_db()
    assert first.state == OfferState.EXPIRED
    second = open_offer(ticket)
    assert second.agent != first.agent
    assert {first.agent, second.agent} == {anna, bob}
    with pytest.raises(actions.OfferGone):
        actions.accept_offer(first.pk, agent=first.agent)


def test_accepting_after_the_timeout_is_refused_and_the_chat_moves_on(make_agent, new_ticket):
    make_agent("Annie")
    make_agent("Bob")
    ticket = new_ticket()
    offer = open_offer(ticket)
    Offer.objects.filter(pk=offer.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    with pytest.raises(actions.OfferGone, match="verstreken"):
        actions.accept_offer(offer.pk, agent=offer.agent)
    assert open_offer(ticket).agent != offer.agent


def test_declining_offers_the_chat_to_the_next_agent_and_nobody_else_may_answer(
    make_agent, new_ticket
):
    anna, bob = make_agent("Annie"), make_agent("Bob")
    ticket = new_ticket()
    offer = open_offer(ticket)
    other = bob if offer.agent == anna else anna
    with pytest.raises(actions.OfferGone):
        actions.accept_offer(offer.pk, agent=other)
    actions.decline_offer(offer.pk, agent=offer.agent)
    assert open_offer(ticket).agent == other


def test_the_cap_holds_and_a_finished_chat_frees_a_place(make_agent, new_ticket):
    anna = make_agent("Annie")
    tickets = [new_ticket() for _ in range(4)]
    for ticket in tickets[:3]:
        actions.accept_offer(open_offer(ticket).pk, agent=anna)
    assert open_offer(tickets[3]) is None
    assert actions.queue_position(tickets[3]).position == 1

    actions.finish(tickets[0], by=anna)
    assert open_offer(tickets[3]).agent == anna
    entry = QueueEntry.objects.get(ticket=tickets[0])
    assert entry.state == EntryState.ENDED and entry.ended_at


def test_solving_a_chat_frees_the_place_too(make_agent, new_ticket):
    anna = make_agent("Annie")
    configure(anna.teams.get(), cap=1)
    first, second = new_ticket(), new_ticket()
    actions.accept_offer(open_offer(first).pk, agent=anna)
    assert open_offer(second) is None
    update_ticket(first, by=anna, status=Status.SOLVED)
    assert open_offer(second).agent == anna


def test_least_loaded_gives_mail_to_the_agent_with_fewest_open_tickets(
    team, make_agent, new_ticket
):
    configure(team, routed_channels=["chat", "email"])
    anna, bob = make_agent("Annie"), make_agent("Bob")
    first = new_ticket("email")
    first.refresh_from_db()
    second = new_ticket("email")
    second.refresh_from_db()
    assert {first.assignee, second.assignee} == {anna, bob}  # directly assigned, no offer
    third = new_ticket("email")
    update_ticket(second, by=SYSTEM, status=Status.SOLVED)
    fourth = new_ticket("email")
    third.refresh_from_db()
    fourth.refresh_from_db()
    assert fourth.assignee == second.assignee  # that one had fewer open tickets
    assert not Offer.objects.exists()


def test_round_robin_takes_turns(team, make_agent, new_ticket):
    configure(team, routed_channels=["email"], mode=RoutingMode.ROUND_ROBIN)
    agents = [make_agent("Annie"), make_agent("Bob"), make_agent("Cas")]
    names = []
    for _ in range(6):
        ticket = new_ticket("email")
        ticket.refresh_from_db()
        names.append(ticket.assignee.display_name)
    assert names[:3] == names[3:]
    assert sorted(names[:3]) == sorted(a.display_name for a in agents)


def test_manual_mode_queues_but_never_offers(team, make_agent, new_ticket):
    configure(team, mode=RoutingMode.MANUAL)
    anna = make_agent("Annie")
    ticket = new_ticket()
    assert not Offer.objects.exists()
    assert actions.queue_position(ticket).position == 1
    update_ticket(ticket, by=anna, assignee=anna)  # picked by hand from the inbox
    entry = QueueEntry.objects.get(ticket=ticket)
    assert entry.state == EntryState.ASSIGNED and entry.agent == anna
    assert actions.queue_position(ticket) == (None, None)


def test_a_team_that_does_not_route_mail_leaves_it_alone(make_agent, new_ticket):
    make_agent("Annie")
    ticket = new_ticket("email")
    ticket.refresh_from_db()
    assert ticket.assignee is None and not QueueEntry.objects.exists()


def test_sticky_to_the_customers_last_agent_when_online_and_under_cap(
    make_agent, new_ticket, make_customer
):
    anna, bob = make_agent("Annie"), make_agent("Bob")
    customer = make_customer()
    # Bob has fewer chats, but the customer spoke to Anna before.
    earlier = new_ticket(customer=customer)
    offer = open_offer(earlier)
    if offer.agent != anna:
        actions.decline_offer(offer.pk, agent=offer.agent)
    actions.accept_offer(open_offer(earlier).pk, agent=anna)
    actions.finish(earlier, by=anna)
    other = new_ticket()
    offer = open_offer(other)
    if offer.agent != anna:
        actions.decline_offer(offer.pk, agent=offer.agent)
    actions.accept_offer(open_offer(other).pk, agent=anna)
    assert actions.load_of(anna) == 1 and actions.load_of(bob) == 0
    again = new_ticket(customer=customer)
    assert open_offer(again).agent == anna
    # Offline, she is not waited for.
    actions.decline_offer(open_offer(again).pk, agent=anna)
    actions.set_presence(anna, PresenceState.OFFLINE)
    third = new_ticket(customer=customer)
    assert open_offer(third).agent == bob


def test_higher_tiers_are_served_first_then_arrival(make_agent, new_ticket):
    anna = make_agent("Annie")
    configure(anna.teams.get(), cap=1)
    busy = new_ticket()
    actions.accept_offer(open_offer(busy).pk, agent=anna)
    standard = new_ticket(tier="standard")
    business = new_ticket(tier="business")
    vip = new_ticket(tier="vip")
    standard2 = new_ticket(tier="standard")
    assert [actions.queue_position(t).position for t in (vip, business, standard, standard2)] == [
        1,
        2,
        3,
        4,
    ]
    actions.finish(busy, by=anna)
    assert open_offer(vip).agent == anna


def test_skills_first_language_then_anyone(team, make_agent, new_ticket):
    anna, bob = make_agent("Annie"), make_agent("Bob")
    AgentSkills.objects.create(agent=anna, languages=["nl"])
    AgentSkills.objects.create(agent=bob, languages=["de", "nl"])
    german = new_ticket(language="de")
    assert open_offer(german).agent == bob
    actions.decline_offer(open_offer(german).pk, agent=bob)
    assert open_offer(german).agent == anna  # no one else speaks German: anyone rather than none


def test_going_offline_hands_open_chats_back_to_the_queue(
    make_agent, new_ticket, published, django_capture_on_commit_callbacks
):
    anna = make_agent("Annie")
    ticket = new_ticket()
    actions.accept_offer(open_offer(ticket).pk, agent=anna)
    bob = make_agent("Bob", online=False)
    with django_capture_on_commit_callbacks(execute=True):
        actions.set_presence(anna, PresenceState.OFFLINE)
    ticket.refresh_from_db()
    assert ticket.assignee is None
    assert actions.queue_position(ticket).position == 1
    assert ([f"routing.ticket.{ticket.pk}", f"agent.{anna.pk}"], "routing.requeued") in [
        (g, n) for g, n, _d in published
    ]
    actions.set_presence(bob, PresenceState.ONLINE)
    assert open_offer(ticket).agent == bob


def test_away_withdraws_offers_but_keeps_chats(make_agent, new_ticket):
    anna = make_agent("Annie")
    kept = new_ticket()
    actions.accept_offer(open_offer(kept).pk, agent=anna)
    offered = new_ticket()
    offer = open_offer(offered)
    actions.set_presence(anna, PresenceState.AWAY, reason="meeting")
    offer.refresh_from_db()
    assert offer.state == OfferState.WITHDRAWN
    kept.refresh_from_db()
    assert kept.assignee == anna
    assert actions.anyone_online(anna.teams.get()) is False
    with pytest.raises(actions.RoutingError):
        actions.set_presence(anna, PresenceState.AWAY, reason="koffie")


def test_heartbeats_auto_away_and_offline(make_agent, new_ticket, settings):
    anna = make_agent("Annie")
    ticket = new_ticket()
    actions.accept_offer(open_offer(ticket).pk, agent=anna)
    later = timezone.now() + timedelta(seconds=settings.ROUTING_AWAY_AFTER + 1)
    anna.presence.refresh_from_db()
    actions.tick(now=later - timedelta(seconds=30))  # heartbeats still fresh enough? no: stale
    anna.presence.refresh_from_db()
    assert anna.presence.state == PresenceState.OFFLINE
    ticket.refresh_from_db()
    assert ticket.assignee is None


def test_inactivity_makes_away_and_activity_brings_back(make_agent, settings):
    anna = make_agent("Annie")
    settings.ROUTING_OFFLINE_AFTER = 10_000
    actions.tick(now=timezone.now() + timedelta(seconds=settings.ROUTING_AWAY_AFTER + 1))
    anna.presence.refresh_from_db()
    assert (anna.presence.state, anna.presence.reason) == (PresenceState.AWAY, "inactive")
    actions.heartbeat(anna, active=False)
    anna.presence.refresh_from_db()
    assert anna.presence.state == PresenceState.AWAY
    actions.heartbeat(anna, active=True)
    anna.presence.refresh_from_db()
    assert anna.presence.state == PresenceState.ONLINE


def test_a_full_queue_overflows_to_another_team(
    cast, team, make_agent, new_ticket, published, django_capture_on_commit_callbacks
):
    anna = make_agent("Annie")
    TeamRouting.objects.create(team=cast.techniek)
    configure(
        team,
        cap=1,
        overflow_queue_length=1,
        overflow_action=OverflowAction.TEAM,
        overflow_team=cast.techniek,
    )
    bram = cast.bram
    actions.set_presence(bram, PresenceState.ONLINE)
    actions.accept_offer(open_offer(new_ticket()).pk, agent=anna)
    waits = new_ticket()
    assert actions.queue_position(waits).position == 1
    assert actions.admission(team).team == cast.techniek
    with django_capture_on_commit_callbacks(execute=True):
        spilled = new_ticket()
    spilled.refresh_from_db()
    assert spilled.team == cast.techniek
    assert open_offer(spilled).agent == bram
    assert ([f"routing.ticket.{spilled.pk}"], "routing.overflowed") in [
        (g, n) for g, n, _d in published
    ]


def test_a_long_wait_overflows_to_leave_a_message(
    team, make_agent, new_ticket, published, django_capture_on_commit_callbacks, settings
):
    settings.ROUTING_OFFLINE_AFTER = settings.ROUTING_AWAY_AFTER = 10_000
    anna = make_agent("Annie")
    configure(team, cap=1, overflow_wait=120, overflow_action=OverflowAction.MESSAGE)
    actions.accept_offer(open_offer(new_ticket()).pk, agent=anna)
    waits = new_ticket()
    actions.tick(now=timezone.now() + timedelta(seconds=60))
    assert actions.queue_position(waits).position == 1
    anna.presence.refresh_from_db()
    actions.heartbeat(anna)
    with django_capture_on_commit_callbacks(execute=True):
        actions.tick(now=timezone.now() + timedelta(seconds=121))
    assert actions.queue_position(waits) == (None, None)
    entry = QueueEntry.objects.get(ticket=waits)
    assert entry.state == EntryState.OVERFLOWED
    data = [d for _g, n, d in published if n == "routing.overflowed"]
    assert data == [{"ticket": waits.pk, "action": "message", "team": team.pk}]
    # With a handling time of 5 minutes and one slot, a newcomer would wait too long.
    assert actions.admission(team) == (False, "wait_too_long", team)


def test_nobody_online_means_leave_a_message(team, make_agent):
    make_agent("Annie", online=False)
    assert actions.anyone_online(team) is False
    assert actions.admission(team) == (False, "nobody_online", team)


def test_expected_wait_from_recent_handling_times(make_agent, new_ticket):
    anna = make_agent("Annie")
    configure(anna.teams.get(), cap=1)
    done = new_ticket()
    actions.accept_offer(open_offer(done).pk, agent=anna)
    entry = QueueEntry.objects.get(ticket=done)
    QueueEntry.objects.filter(pk=entry.pk).update(
        assigned_at=timezone.now() - timedelta(seconds=120)
    )
    actions.finish(done, by=anna)
    busy = new_ticket()
    actions.accept_offer(open_offer(busy).pk, agent=anna)
    first, second = new_ticket(), new_ticket()
    one = actions.queue_position(first)
    two = actions.queue_position(second)
    assert one.position == 1 and 119 <= one.expected_wait <= 121
    assert two.position == 2 and 239 <= two.expected_wait <= 242


def test_release_and_transfer(cast, team, make_agent, new_ticket):
    anna, bob = make_agent("Annie"), make_agent("Bob")
    ticket = new_ticket()
    offer = open_offer(ticket)
    holder = offer.agent
    other = bob if holder == anna else anna
    actions.accept_offer(offer.pk, agent=holder)
    actions.release(ticket, by=holder)
    assert open_offer(ticket).agent == other  # not straight back to who let go
    actions.accept_offer(open_offer(ticket).pk, agent=other)
    ticket.refresh_from_db()

    actions.transfer(ticket, by=other, to_agent=holder, note="Wil een terugbelafspraak")
    ticket.refresh_from_db()
    assert ticket.assignee == holder
    assert ticket.messages.filter(direction="note", body_text="Wil een terugbelafspraak").exists()
    assert actions.load_of(holder) == 1 and actions.load_of(other) == 0

    actions.set_presence(other, PresenceState.AWAY)
    with pytest.raises(actions.RoutingError, match="niet beschikbaar"):
        actions.transfer(ticket, by=holder, to_agent=other)

    TeamRouting.objects.create(team=cast.techniek)
    actions.transfer(ticket, by=holder, to_team=cast.techniek)
    ticket.refresh_from_db()
    assert ticket.team == cast.techniek and ticket.assignee is None
    assert QueueEntry.objects.get(ticket=ticket, state=EntryState.WAITING).team == cast.techniek


def test_force_assign_by_a_team_lead_ignores_the_cap(team, make_agent, new_ticket):
    anna = make_agent("Annie")
    lead = make_agent("Lotte", role="team_lead", online=False)
    configure(team, cap=1)
    actions.accept_offer(open_offer(new_ticket()).pk, agent=anna)
    waiting = new_ticket()
    bob = make_agent("Bob")
    with pytest.raises(actions.RoutingError):
        actions.force_assign(waiting, anna, by=bob)
    actions.force_assign(waiting, anna, by=lead)
    waiting.refresh_from_db()
    assert waiting.assignee == anna and actions.load_of(anna) == 2


def test_bad_settings_are_refused_with_the_reason(team, make_agent):
    from django.core.exceptions import ValidationError

    row = TeamRouting.objects.get(team=team)
    row.routed_channels = ["chat", "duif"]
    with pytest.raises(ValidationError, match="kanalen"):
        row.full_clean()
    row.routed_channels, row.overflow_action = ["chat"], OverflowAction.TEAM
    with pytest.raises(ValidationError, match="overloop"):
        row.full_clean()
    skills = AgentSkills(agent=make_agent("Annie"), languages=["nl", "xx"])
    with pytest.raises(ValidationError, match="nl, en, de en fr"):
        skills.full_clean()


def test_an_agent_takes_a_waiting_ticket_of_their_team_for_themselves(
    cast, team, make_agent, new_ticket
):
    configure(team, mode=RoutingMode.MANUAL)
    anna = make_agent("Annie")
    waiting = new_ticket()
    actions.force_assign(waiting, anna, by=anna)
    waiting.refresh_from_db()
    assert waiting.assignee == anna and actions.load_of(anna) == 1
    other = new_ticket(team=cast.techniek)
    with pytest.raises(actions.RoutingError):
        actions.force_assign(other, anna, by=anna)  # not her team
