"""Changes to a ticket's fields and customer merges."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from balie.accounts.models import Agent, Team
from balie.core.actors import Actor
from balie.customers.models import Customer
from balie.sla import actions as sla_actions
from balie.tickets import events
from balie.tickets.events import emit, held
from balie.tickets.models import (
    Status,
    Tag,
    Ticket,
    tag_names,
)

_UNSET: Any = object()


def update_ticket(
    ticket: Ticket,
    *,
    by: Actor,
    status: str = _UNSET,
    priority: str = _UNSET,
    type: str = _UNSET,
    team: Team | None = _UNSET,
    assignee: Agent | None = _UNSET,
    tags: Iterable[str] = _UNSET,
    subject: str = _UNSET,
) -> dict[str, tuple[Any, Any]]:
    """Change fields of a ticket; returns {field: (old, new)} of what changed, each in the
    audit trail. A label over the stored length is a ValueError before anything changes."""
    wanted_tags = tag_names(list(tags)) if tags is not _UNSET else None
    changes: dict[str, tuple[Any, Any]] = {}
    fields: list[str] = []
    now = timezone.now()
    for name, value in (
        ("status", status),
        ("priority", priority),
        ("type", type),
        ("subject", subject),
    ):
        if value is _UNSET or value == getattr(ticket, name):
            continue
        field = Ticket._meta.get_field(name)
        if getattr(field, "choices", None) and value not in dict(field.choices):
            raise ValueError(
                _("Ongeldige waarde voor %(field)s: %(value)s") % {"field": name, "value": value}
            )
        changes[name] = (getattr(ticket, name), value)
        setattr(ticket, name, value)
        fields.append(name)
    if "status" in changes:
        new = changes["status"][1]
        if new == Status.SOLVED:
            ticket.solved_at = now
            fields.append("solved_at")
        elif new == Status.CLOSED:
            ticket.closed_at = now
            fields.append("closed_at")
            if not ticket.solved_at:
                ticket.solved_at = now
                fields.append("solved_at")
        else:
            ticket.solved_at = None
            ticket.closed_at = None
            fields += ["solved_at", "closed_at"]
    if team is not _UNSET and (team.pk if team else None) != ticket.team_id:
        changes["team"] = (ticket.team.name if ticket.team else None, team.name if team else None)
        ticket.team = team
        fields.append("team")
    if assignee is not _UNSET and (assignee.pk if assignee else None) != ticket.assignee_id:
        changes["assignee"] = (
            ticket.assignee.display_name if ticket.assignee else None,
            assignee.display_name if assignee else None,
        )
        ticket.assignee = assignee
        fields.append("assignee")
        if assignee and ticket.status == Status.NEW and "status" not in changes:
            changes["status"] = (ticket.status, Status.OPEN)
            ticket.status = Status.OPEN
            fields.append("status")
    # The consumers (trigger rules) run once the SLA clocks have followed the change.
    with transaction.atomic(), held():
        if wanted_tags is not None:
            wanted = wanted_tags
            current = sorted(ticket.tags.values_list("name", flat=True))
            if wanted != current:
                tag_objs = [Tag.objects.get_or_create(name=name)[0] for name in wanted]
                ticket.tags.set(tag_objs)
                changes["tags"] = (current, wanted)
        if fields:
            ticket.save(update_fields=[*dict.fromkeys(fields), "updated_at"])
        if changes:
            data = {name: {"from": old, "to": new} for name, (old, new) in changes.items()}
            emit(ticket, events.TICKET_UPDATED, by=by, data=data)
            if "assignee" in changes:
                emit(ticket, events.TICKET_ASSIGNED, by=by, data={"to": changes["assignee"][1]})
        if {"priority", "type", "team"} & changes.keys():
            sla_actions.retarget_clocks(ticket, by=by, at=now)
        if "status" in changes:
            old_status, new_status = changes["status"]
            sla_actions.follow_status_change(ticket, old=old_status, new=new_status, by=by)
    return changes


def record_customer_merge(*, target: Customer, source: Customer, by: Actor) -> int:
    """Move the tickets of a merged customer and note it in each ticket's audit trail."""
    moved = 0
    for ticket in Ticket.objects.filter(customer=source):
        ticket.customer = target
        ticket.save(update_fields=["customer", "updated_at"])
        emit(
            ticket, events.CUSTOMER_LINKED, by=by, data={"from": source.number, "to": target.number}
        )
        moved += 1
    return moved
