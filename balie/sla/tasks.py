"""Thin Celery tasks: ids in, one action called, idempotent."""

from __future__ import annotations

from celery import shared_task

from . import actions, escalations


@shared_task
def check_sla_clocks() -> dict[str, int]:
    """Every minute: record due warnings and breaches and escalate them (each only once)."""
    result = escalations.check_clocks()
    return {"warned": result.warned, "breached": result.breached}


@shared_task(acks_late=True)
def send_sla_notice(clock_id: int, stage: str, agent_ids: list[int]) -> int:
    return escalations.send_notice(clock_id, stage, agent_ids)


@shared_task(acks_late=True)
def send_sla_notices(items: list[list]) -> int:
    """The lead mails of one SLA check run, one per lead: [[clock_id, stage, lead_ids], ...]."""
    return escalations.send_notices(items)


@shared_task(acks_late=True)
def recompute_sla_due_times(calendar_id: int | None = None) -> int:
    """After a calendar changed: new due moments for every running clock on it."""
    return actions.recompute_due_times(calendar_id=calendar_id)
