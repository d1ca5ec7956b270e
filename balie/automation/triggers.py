"""Running the trigger rules of one event on one ticket: the event stream's first consumer
(`consume_events`, named in settings.EVENT_CONSUMERS), so that nobody calls rules by hand.

Order: active rules of the event by `position`, then id. Each rule sees the ticket as the rules
before it left it. No loops: while a run is in progress (a context variable), the changes its
actions make (`update_ticket` emits ticket.updated again) fire no rules. Each rule fires at most
once per ticket per event occurrence: a `RuleFiring` row keyed by (rule, ticket, event, key)
claims it, so a retried event fires nothing twice. Each rule runs in a savepoint: a failing rule
is rolled back and recorded in the audit trail; the event itself and the other rules go on.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models.signals import post_delete, post_save

from balie.core.actors import Actor, System
from balie.core.process_cache import ProcessCache
from balie.tickets.events import Event as StreamEvent
from balie.tickets.events import EventKind, emit

from .models import Event, Rule, RuleFiring
from .rule_conditions import Occurrence, conditions_hold
from .rule_effects import perform_action

logger = logging.getLogger(__name__)

RULE_APPLIED = EventKind.RULE_APPLIED
RULE_FAILED = EventKind.RULE_FAILED

_running: ContextVar[bool] = ContextVar("balie_automation_running", default=False)


@contextmanager
def triggers_suppressed() -> Iterator[None]:
    """Changes made inside fire no triggers (a run in progress, or a bulk job)."""
    token = _running.set(True)
    try:
        yield
    finally:
        _running.reset(token)


def rule_actor(rule: Rule) -> System:
    return System(label=f"Regel: {rule.name}"[:200])


def event_key(event: str, context: dict[str, Any]) -> str:
    """What makes one occurrence of an event: the message for an inbound message, the clock
    for an SLA event, the audit entry for an update; a ticket is created once."""
    if "key" in context:
        return str(context["key"])[:80]
    if event == Event.TICKET_CREATED:
        return ""
    if message := context.get("message"):
        return f"message:{message.pk}"
    return uuid.uuid4().hex


def _load_rules() -> dict[str, list[Rule]]:
    by_event: dict[str, list[Rule]] = {}
    for rule in Rule.objects.active().order_by("position", "id"):
        by_event.setdefault(rule.event, []).append(rule)
    return by_event


# The active rules, read for every event and changed rarely: kept per process, reloaded at
# once after a change here and within seconds after one in another process.
active_rules: ProcessCache[dict[str, list[Rule]]] = ProcessCache("automation-rules", _load_rules)
post_save.connect(active_rules.forget, sender=Rule, dispatch_uid="automation-rules")
post_delete.connect(active_rules.forget, sender=Rule, dispatch_uid="automation-rules")


def consume_events(events: Sequence[StreamEvent]) -> None:
    """The event stream's consumer (settings.EVENT_CONSUMERS): the rules of each event, in
    order. A customer's automatic message (an out-of-office) fires none."""
    rules = active_rules.get()
    for event in events:
        if not rules.get(event.kind) or _running.get():
            continue
        if event.message is not None and event.message.is_automatic:
            continue
        context: dict[str, Any] = {}
        if event.message is not None:
            context["message"] = event.message
        if event.key:
            context["key"] = event.key
        elif event.message is None and event.kind != EventKind.TICKET_CREATED:
            context["key"] = f"activity:{event.activity.pk}"
        run_rules(event.ticket, event.kind, by=event.by, context=context)


def run_rules(ticket: Any, event: str, *, by: Actor, context: dict[str, Any]) -> list[Rule]:
    if event not in Event.values:
        raise ValueError(f"unknown trigger event {event!r}")
    if _running.get():
        return []
    rules = list(active_rules.get().get(event, []))
    if not rules:
        return []
    occurrence = Occurrence(
        ticket=ticket,
        event=event,
        by=by,
        message=context.get("message"),
        data={k: v for k, v in context.items() if k not in ("message", "key", "at")},
    )
    if context.get("at"):
        occurrence.at = context["at"]
    key = event_key(event, context)
    fired: list[Rule] = []
    with triggers_suppressed():
        for rule in rules:
            if not conditions_hold(rule.conditions, occurrence):
                continue
            if _fire(rule, occurrence, key=key):
                fired.append(rule)
    return fired


def _fire(rule: Rule, occurrence: Occurrence, *, key: str) -> bool:
    ticket = occurrence.ticket
    actor = rule_actor(rule)
    try:
        with transaction.atomic():
            try:
                with transaction.atomic():
                    firing = RuleFiring.objects.create(
                        rule=rule, ticket=ticket, event=occurrence.event, key=key
                    )
            except IntegrityError:
                return False  # this rule already fired for this occurrence
            outcome = [
                perform_action(action, occurrence, rule=rule, actor=actor)
                for action in rule.actions
            ]
            firing.outcome = outcome
            firing.save(update_fields=["outcome"])
            emit(
                ticket,
                RULE_APPLIED,
                by=actor,
                data={
                    "rule": rule.pk,
                    "name": rule.name,
                    "event": occurrence.event,
                    "actions": outcome,
                },
            )
        return True
    except Exception as error:  # a broken rule must not stop the event it runs on
        logger.warning("rule %s failed on ticket %s", rule.pk, ticket.pk, exc_info=True)
        ticket.refresh_from_db()
        emit(
            ticket,
            RULE_FAILED,
            by=actor,
            data={
                "rule": rule.pk,
                "name": rule.name,
                "event": occurrence.event,
                "error": str(error)[:500],
            },
        )
        return False
