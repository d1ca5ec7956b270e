"""The demo's tickets as the lifecycle jobs of their past would have left them.

The demo makes two months of tickets at once. Without this, the first lifecycle run after
loading it would remind every customer who has waited long enough and close every ticket solved
long ago, all in the same minute. Instead each step is recorded at the moment it was due: the
reminder or notice in the customer's conversation as sent then (nothing of the demo is ever
sent), the ticket solved or closed then, with its audit entry.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager, suppress
from datetime import datetime, timedelta
from typing import Any
from unittest import mock

from balie.automation.lifecycle import (
    AUTO_CLOSED,
    AUTO_SOLVED,
    FINAL_NOTICE_SENT,
    REMINDED,
    lifecycle_text,
    next_step_due,
    ticket_calendar,
    waiting_tickets,
)
from balie.automation.models import LifecycleSettings, LifecycleStep, LifecycleStepKind
from balie.core.actors import SYSTEM
from balie.tickets.actions import update_ticket
from balie.tickets.actions.replies import outbound_message_row
from balie.tickets.events import emit
from balie.tickets.models import DeliveryStatus, Status, Ticket

EVENT = {
    LifecycleStepKind.REMINDER: REMINDED,
    LifecycleStepKind.FINAL_NOTICE: FINAL_NOTICE_SENT,
    LifecycleStepKind.SOLVED: AUTO_SOLVED,
}


@contextmanager
def clock_at(moment: datetime) -> Iterator[None]:
    """Everything written inside happens at `moment` (auto_now fields, actions' timestamps)."""
    with mock.patch("django.utils.timezone.now", return_value=moment):
        yield


def settle_past_lifecycle(*, now: datetime) -> int:
    """Take every lifecycle step whose moment lies before `now`, at that moment, without
    sending anything. Returns the number of steps recorded."""
    config = LifecycleSettings.current()
    if not config.is_active:
        return 0
    taken = 0
    calendars: dict[Any, Any] = {}
    for ticket in list(waiting_tickets()):
        cycle = ticket.waiting_since or ticket.updated_at  # type: ignore[attr-defined]
        ticket.waiting_since = cycle  # type: ignore[attr-defined]
        calendar = ticket_calendar(ticket, calendars)
        done: dict[str, datetime] = {}
        while (found := next_step_due(ticket, done, calendar, config)) and found[1] <= now:
            step, due = found
            with clock_at(due):
                _record_step(ticket, step, cycle=cycle, due=due, config=config, calendar=calendar)
            done[step] = due
            taken += 1
    close_after = timedelta(days=config.close_after_days)
    solved = Ticket.objects.filter(status=Status.SOLVED, solved_at__lte=now - close_after)
    for ticket in list(solved.order_by("solved_at", "pk")):
        assert ticket.solved_at is not None
        moment = ticket.solved_at + close_after
        with clock_at(moment):
            LifecycleStep.objects.create(
                ticket=ticket,
                step=LifecycleStepKind.CLOSED,
                cycle=ticket.solved_at,
                taken_at=moment,
            )
            update_ticket(ticket, by=SYSTEM, status=Status.CLOSED)
            emit(
                ticket,
                AUTO_CLOSED,
                by=SYSTEM,
                data={"solved_at": ticket.solved_at.isoformat(), "after_days": close_after.days},
            )
        taken += 1
    return taken


def _record_step(
    ticket: Ticket,
    step: str,
    *,
    cycle: datetime,
    due: datetime,
    config: LifecycleSettings,
    calendar: Any,
) -> None:
    LifecycleStep.objects.create(ticket=ticket, step=step, cycle=cycle, taken_at=due)
    message = None
    with suppress(ValueError):  # no address to write to: the step still counts, as it does live
        message = outbound_message_row(
            ticket,
            by=SYSTEM,
            text=lifecycle_text(step, ticket, config, calendar),
            automatic=True,
            at=due,
        )
    if message is not None:
        message.delivery_status = DeliveryStatus.SENT
        message.save()
        Ticket.objects.filter(pk=ticket.pk, last_message_at__lt=due).update(last_message_at=due)
    emit(
        ticket,
        EVENT[LifecycleStepKind(step)],
        by=SYSTEM,
        data={
            "message": message.pk if message else None,
            "waiting_since": cycle.isoformat(),
            "demo": True,
        },
    )
    if step == LifecycleStepKind.SOLVED:
        update_ticket(ticket, by=SYSTEM, status=Status.SOLVED)
