"""Every write of the automation app done on someone's behalf: running triggers, managing rules
and macros, applying a macro, snoozing a ticket."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from balie.accounts.models import Agent
from balie.tickets.events import EventKind, emit

from .models import LifecycleSettings, Macro, Rule, Snooze, WebhookDelivery, WebhookSubscription
from .rule_conditions import validate_conditions
from .rule_effects import valid_webhook_url, validate_actions

SNOOZED = EventKind.TICKET_SNOOZED
SNOOZE_ENDED = EventKind.TICKET_SNOOZE_ENDED


# --- rules ----------------------------------------------------------------------------------


class InvalidRule(ValueError):
    def __init__(self, errors: list[str]) -> None:
        super().__init__("; ".join(errors))
        self.errors = errors


def _check_rule(conditions: Any, actions: Any) -> None:
    errors = validate_conditions(conditions) + validate_actions(actions)
    if errors:
        raise InvalidRule(errors)


def create_rule(
    *,
    by: Agent,
    name: str,
    event: str,
    conditions: list[dict[str, Any]],
    actions: list[dict[str, Any]],
    is_active: bool = True,
    description: str = "",
) -> Rule:
    _check_rule(conditions, actions)
    last = Rule.objects.order_by("-position").values_list("position", flat=True).first()
    return Rule.objects.create(
        name=name,
        event=event,
        conditions=conditions,
        actions=actions,
        is_active=is_active,
        description=description,
        position=(last or 0) + 10,
    )


def update_rule(rule: Rule, *, by: Agent, **fields: Any) -> Rule:
    allowed = {"name", "event", "conditions", "actions", "is_active", "description"}
    if set(fields) - allowed:
        raise TypeError(f"cannot change {set(fields) - allowed}")
    _check_rule(fields.get("conditions", rule.conditions), fields.get("actions", rule.actions))
    for name, value in fields.items():
        setattr(rule, name, value)
    rule.save(update_fields=[*fields, "updated_at"])
    return rule


def set_rule_active(rule: Rule, *, by: Agent, active: bool) -> Rule:
    rule.is_active = active
    rule.save(update_fields=["is_active", "updated_at"])
    return rule


def move_rule(rule: Rule, *, by: Agent, direction: int) -> list[Rule]:
    """Swap a rule with its neighbour (-1 up, +1 down) and renumber all rules 10, 20, …"""
    with transaction.atomic():
        rules = list(Rule.objects.select_for_update().order_by("position", "id"))
        index = next(i for i, r in enumerate(rules) if r.pk == rule.pk)
        other = index + (1 if direction > 0 else -1)
        if 0 <= other < len(rules):
            rules[index], rules[other] = rules[other], rules[index]
        for position, item in enumerate(rules, start=1):
            if item.position != position * 10:
                item.position = position * 10
                item.save(update_fields=["position"])
    return rules


def delete_rule(rule: Rule, *, by: Agent) -> None:
    rule.delete()


# --- macros ---------------------------------------------------------------------------------

MACRO_FIELDS = {
    "name",
    "language",
    "body",
    "status",
    "priority",
    "team",
    "add_tags",
    "is_active",
    "position",
}


def save_macro(macro: Macro | None, *, by: Agent, **fields: Any) -> Macro:
    """Create (macro None) or change a macro; the form has validated the fields."""
    if set(fields) - MACRO_FIELDS:
        raise TypeError(f"cannot set {set(fields) - MACRO_FIELDS}")
    if macro is None:
        last = Macro.objects.order_by("-position").values_list("position", flat=True).first()
        fields.setdefault("position", (last or 0) + 10)
        return Macro.objects.create(**fields)
    for name, value in fields.items():
        setattr(macro, name, value)
    macro.save(update_fields=[*fields, "updated_at"])
    return macro


def delete_macro(macro: Macro, *, by: Agent) -> None:
    macro.delete()


@dataclass(frozen=True)
class AppliedMacro:
    text: str
    changes: dict[str, tuple[Any, Any]]
    message: Any = None


def macro_text(macro: Macro, ticket: Any, *, agent: Agent) -> str:
    from .placeholders import fill_placeholders

    return fill_placeholders(macro.body, ticket, language=macro.language, agent=agent)


def apply_macro(ticket: Any, macro: Macro, *, by: Agent, send: bool = False) -> AppliedMacro:
    """Apply a macro: its field changes (priority, team, tags and status) happen at once, in
    the audit trail; the filled text goes to the reply box, or is sent at once with `send`."""
    from balie.tickets.actions import add_reply, update_ticket

    text = macro_text(macro, ticket, agent=by)
    fields: dict[str, Any] = {}
    if macro.priority:
        fields["priority"] = macro.priority
    if macro.team_id:
        fields["team"] = macro.team
    if macro.add_tags:
        current = list(ticket.tags.values_list("name", flat=True))
        fields["tags"] = [*current, *macro.add_tags]
    with transaction.atomic():
        changes = update_ticket(ticket, by=by, **fields) if fields else {}
        message = None
        if send:
            message = add_reply(ticket, by=by, text=text, status=macro.status or None)
        elif macro.status:
            changes.update(update_ticket(ticket, by=by, status=macro.status))
        emit(
            ticket,
            EventKind.MACRO_APPLIED,
            by=by,
            data={"macro": macro.pk, "name": macro.name, "sent": bool(message)},
        )
    return AppliedMacro(text=text, changes=changes, message=message)


# --- webhook subscriptions -----------------------------------------------------------------

SUBSCRIPTION_FIELDS = {"name", "url", "secret", "events", "is_active"}


def save_subscription(
    subscription: WebhookSubscription | None, *, by: Agent, **fields: Any
) -> WebhookSubscription:
    """Create (subscription None) or change a webhook subscription; the form has validated
    the fields (an http(s) URL, known event kinds)."""
    if set(fields) - SUBSCRIPTION_FIELDS:
        raise TypeError(f"cannot set {set(fields) - SUBSCRIPTION_FIELDS}")
    if "url" in fields and not valid_webhook_url(fields["url"]):
        raise ValueError(_("Het adres moet met http:// of https:// beginnen."))
    if "events" in fields:
        fields["events"] = [EventKind(kind).value for kind in fields["events"]]
    if subscription is None:
        return WebhookSubscription.objects.create(**fields)
    for name, value in fields.items():
        setattr(subscription, name, value)
    subscription.save(update_fields=[*fields, "updated_at"])
    return subscription


def delete_subscription(subscription: WebhookSubscription, *, by: Agent) -> None:
    subscription.delete()


def send_test_webhook(subscription: WebhookSubscription, *, by: Agent) -> WebhookDelivery:
    """A signed test POST to the subscription's URL, logged like any delivery."""
    from .outgoing_webhooks import TEST_EVENT, send_later, subscription_body

    delivery = WebhookDelivery.objects.create(
        subscription=subscription,
        event=TEST_EVENT,
        url=subscription.url,
        secret=subscription.secret,
        body=subscription_body(TEST_EVENT, data={"by": by.display_name}),
    )
    send_later([delivery])
    return delivery


# --- snooze and lifecycle settings ----------------------------------------------------------


def snooze_ticket(ticket: Any, *, by: Agent, until: datetime) -> Snooze:
    """Put a ticket on hold until a moment; `wake_snoozed_tickets` opens it again then."""
    from balie.tickets.actions import update_ticket
    from balie.tickets.models import Status

    if timezone.is_naive(until):
        raise ValueError("until must be aware")
    if until <= timezone.now():
        raise ValueError(_("Kies een moment in de toekomst."))
    if not ticket.is_open:
        raise ValueError(_("Een opgelost of gesloten ticket kan niet in de wacht."))
    with transaction.atomic():
        Snooze.objects.filter(ticket=ticket, ended_at=None).update(ended_at=timezone.now())
        snooze = Snooze.objects.create(ticket=ticket, until=until, by=by)
        update_ticket(ticket, by=by, status=Status.ON_HOLD)
        emit(ticket, SNOOZED, by=by, data={"until": until.isoformat()})
    return snooze


def save_lifecycle_settings(*, by: Agent, **fields: int | bool) -> LifecycleSettings:
    current = LifecycleSettings.current()
    for name, value in fields.items():
        setattr(current, name, value)
    current.save()
    return current
