"""Warnings and breaches of SLA clocks, and the escalation actions a policy sets for them.

`check_clocks` is the periodic job. It is idempotent: each warning and breach is claimed with a
conditional UPDATE (`... WHERE warned_at IS NULL`), so a second run, a retry or a second
scheduler never records or sends one twice.
"""

from __future__ import annotations

from collections import defaultdict
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import F, OuterRef, Q, Subquery
from django.template.loader import render_to_string
from django.utils import timezone, translation

from balie.accounts.models import Agent, Role
from balie.core import realtime
from balie.core.actors import SYSTEM, Actor
from balie.tickets.events import emit, held

from . import events
from .models import ClockState, SlaClock, SlaPolicy

WARNING, BREACH = "warning", "breach"
HIGHER_PRIORITY = {"low": "normal", "normal": "high", "high": "urgent"}


@dataclass
class CheckResult:
    warned: int = 0
    breached: int = 0


# While `check_clocks` runs: the lead notices of its escalations, sent together at its end so
# that a lead gets one mail for all the tickets of one run, not one mail per ticket.
_notice_batch: ContextVar[list[tuple[int, str, list[int]]] | None] = ContextVar(
    "sla_notice_batch", default=None
)


def check_clocks(*, now: datetime | None = None, limit: int = 2000) -> CheckResult:
    """Record warnings and breaches that are due, and run their escalations; each lead gets
    one mail about all the tickets of this run."""
    batch: list[tuple[int, str, list[int]]] = []
    token = _notice_batch.set(batch)
    try:
        result = _check_clocks(now=now, limit=limit)
    finally:
        _notice_batch.reset(token)
    # After the run's commits, which append to the batch (a rolled-back warning mails nobody).
    transaction.on_commit(lambda: _send_batch(batch))
    return result


def _send_batch(batch: list[tuple[int, str, list[int]]]) -> None:
    if batch:
        from .tasks import send_sla_notices

        send_sla_notices.delay([[clock_id, stage, lead_ids] for clock_id, stage, lead_ids in batch])


def _check_clocks(*, now: datetime | None, limit: int) -> CheckResult:
    now = now or timezone.now()
    result = CheckResult()
    due_warnings = (
        SlaClock.objects.filter(
            state=ClockState.RUNNING, warn_at__lte=now, due_at__gt=now, warned_at__isnull=True
        )
        .order_by("warn_at")
        .values_list("pk", flat=True)[:limit]
    )
    for pk in list(due_warnings):
        result.warned += warn_clock(pk, now=now)
    due_breaches = (
        SlaClock.objects.filter(state=ClockState.RUNNING, due_at__lte=now, breached_at__isnull=True)
        .order_by("due_at")
        .values_list("pk", flat=True)[:limit]
    )
    for pk in list(due_breaches):
        result.breached += breach_clock(pk, now=now)
    return result


def settle_past_deadlines(*, now: datetime | None = None, by: Actor = SYSTEM) -> int:
    """For data made after the fact (the demo, an import): record on every running clock the
    warning and breach its deadlines passed, at the moment they passed, as the checks of that
    time would have; nobody is mailed about the past (the next check finds nothing old to
    report). Returns the number of clocks changed."""
    from balie.tickets.models import Ticket

    now = now or timezone.now()
    running = SlaClock.objects.filter(state=ClockState.RUNNING)
    with transaction.atomic():
        warned = running.filter(warn_at__lte=now, warned_at__isnull=True).update(
            warned_at=F("warn_at")
        )
        breached = running.filter(due_at__lte=now, breached_at__isnull=True).update(
            breached_at=F("due_at")
        )
        first_breach = (
            SlaClock.objects.filter(ticket_id=OuterRef("pk"), breached_at__isnull=False)
            .order_by("breached_at")
            .values("breached_at")[:1]
        )
        Ticket.objects.filter(
            sla_breached_at__isnull=True,
            pk__in=SlaClock.objects.filter(breached_at__isnull=False).values("ticket_id"),
        ).update(sla_breached_at=Subquery(first_breach))
    return warned + breached


def warn_clock(clock_id: int, *, now: datetime) -> bool:
    with transaction.atomic():
        claimed = SlaClock.objects.filter(
            pk=clock_id, state=ClockState.RUNNING, warned_at__isnull=True
        ).update(warned_at=now)
        if not claimed:
            return False
        clock = SlaClock.objects.select_related("ticket", "policy").get(pk=clock_id)
        with held():  # the rules of the event run after the escalation
            emit(
                clock.ticket,
                events.SLA_WARNING,
                by=SYSTEM,
                data=_event_data(clock),
                key=f"clock:{clock.pk}:warning",
            )
            escalate(clock, stage=WARNING)
    return True


def breach_clock(clock_id: int, *, now: datetime) -> bool:
    from balie.tickets.models import Ticket

    with transaction.atomic():
        claimed = SlaClock.objects.filter(
            pk=clock_id, state=ClockState.RUNNING, breached_at__isnull=True
        ).update(breached_at=now)
        if not claimed:
            return False
        clock = SlaClock.objects.select_related("ticket", "policy").get(pk=clock_id)
        Ticket.objects.filter(pk=clock.ticket_id, sla_breached_at__isnull=True).update(
            sla_breached_at=now
        )
        with held():  # the rules of the event run after the escalation
            emit(
                clock.ticket,
                events.SLA_BREACHED,
                by=SYSTEM,
                data=_event_data(clock),
                key=f"clock:{clock.pk}:breach",
            )
            escalate(clock, stage=BREACH)
    return True


def _event_data(clock: SlaClock) -> dict:
    return {
        "clock": clock.pk,
        "kind": clock.kind,
        "policy": clock.policy.name,
        "due_at": clock.due_at.isoformat() if clock.due_at else None,
    }


def escalate(clock: SlaClock, *, stage: str) -> list[str]:
    """Run the escalation actions the policy sets for this stage; returns what was done."""
    from balie.tickets.actions import update_ticket

    policy: SlaPolicy = clock.policy
    ticket = clock.ticket
    notify = policy.warning_notify_lead if stage == WARNING else policy.breach_notify_lead
    raise_priority = (
        policy.warning_raise_priority if stage == WARNING else policy.breach_raise_priority
    )
    move_to = policy.warning_move_to_team if stage == WARNING else policy.breach_move_to_team
    done = []
    if raise_priority and ticket.priority in HIGHER_PRIORITY:
        update_ticket(ticket, by=SYSTEM, priority=HIGHER_PRIORITY[ticket.priority])
        done.append("priority")
    if move_to is not None and move_to.pk != ticket.team_id:
        update_ticket(ticket, by=SYSTEM, team=move_to)
        done.append("team")
    if notify:
        leads = notify_team_leads(clock, stage=stage)
        if leads:
            done.append("notified")
    return done


def team_leads(ticket) -> list[Agent]:
    """The team leads of the ticket's team; without any, the administrators."""
    agents = Agent.objects.active().select_related("user")
    leads = []
    if ticket.team_id:
        leads = list(agents.filter(teams=ticket.team_id, role__in=[Role.TEAM_LEAD, Role.ADMIN]))
    return leads or list(agents.filter(role=Role.ADMIN))


def notify_team_leads(clock: SlaClock, *, stage: str) -> list[Agent]:
    """E-mail each team lead (after commit) and push the event to their live notifications."""
    ticket = clock.ticket
    leads = [lead for lead in team_leads(ticket) if lead.user.email or lead.pk]
    if not leads:
        return []
    kind = events.SLA_WARNING if stage == WARNING else events.SLA_BREACHED
    realtime.publish(
        [f"agent.{lead.pk}" for lead in leads],
        kind,
        {"ticket": ticket.pk, "clock": clock.pk, "stage": stage},
    )
    lead_ids = [lead.pk for lead in leads if lead.user.email]
    batch = _notice_batch.get()
    if lead_ids and batch is not None:
        transaction.on_commit(lambda: batch.append((clock.pk, stage, lead_ids)))
    elif lead_ids:
        from .tasks import send_sla_notice

        transaction.on_commit(lambda: send_sla_notice.delay(clock.pk, stage, lead_ids))
    return leads


def send_notice(clock_id: int, stage: str, agent_ids: list[int]) -> int:
    """The e-mail to team leads about a warning or breach, in each lead's language."""
    clock = SlaClock.objects.select_related("ticket__team", "policy").get(pk=clock_id)
    sent = 0
    for lead in Agent.objects.filter(pk__in=agent_ids).select_related("user"):
        language = lead.language if lead.language in ("nl", "en") else "nl"
        with translation.override(language):
            context = {
                "clock": clock,
                "ticket": clock.ticket,
                "stage": stage,
                "lead": lead,
                "url": f"{settings.BASE_URL}/tickets/{clock.ticket_id}/",
            }
            subject = render_to_string("sla/email/notice_subject.txt", context).strip()
            body = render_to_string("sla/email/notice.txt", context).strip()
        send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [lead.user.email])
        sent += 1
    return sent


def send_notices(items: list[list[Any]]) -> int:
    """The mails of one check run: per lead, the single notice as `send_notice` writes it, or
    one mail listing every ticket when there are several. Returns the number of mails."""
    per_lead: dict[int, list[tuple[int, str]]] = defaultdict(list)
    for clock_id, stage, lead_ids in items:
        for lead_id in lead_ids:
            per_lead[lead_id].append((clock_id, stage))
    clocks = SlaClock.objects.select_related("ticket__team", "ticket__assignee", "policy").in_bulk(
        {clock_id for clock_id, _stage, _leads in items}
    )
    sent = 0
    for lead in Agent.objects.filter(pk__in=list(per_lead)).select_related("user"):
        notices = [(clocks[c], stage) for c, stage in per_lead[lead.pk] if c in clocks]
        if len(notices) == 1:
            sent += send_notice(notices[0][0].pk, notices[0][1], [lead.pk])
            continue
        if not notices:
            continue
        language = lead.language if lead.language in ("nl", "en") else "nl"
        with translation.override(language):
            context = {
                "lead": lead,
                "breaches": [c for c, stage in notices if stage == BREACH],
                "warnings": [c for c, stage in notices if stage != BREACH],
                "count": len(notices),
                "base_url": settings.BASE_URL,
            }
            subject = render_to_string("sla/email/digest_subject.txt", context).strip()
            body = render_to_string("sla/email/digest.txt", context).strip()
        send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [lead.user.email])
        sent += 1
    return sent


def breached_tickets_filter() -> Q:
    return Q(sla_breached_at__isnull=False)
