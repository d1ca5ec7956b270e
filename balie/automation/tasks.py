"""Thin Celery tasks: ids in, one action called, idempotent."""

from __future__ import annotations

from celery import shared_task

from .models import DeliveryState


@shared_task(acks_late=True)
def send_webhook(delivery_id: int) -> str:
    """POST one webhook delivery; while it fails, queue the next attempt with back-off (a new
    task message with a countdown, so it also works with eager tasks)."""
    from .outgoing_webhooks import deliver_webhook, retry_delay

    delivery = deliver_webhook(delivery_id)
    if delivery is None:
        return "skipped"
    if delivery.state == DeliveryState.PENDING:
        send_webhook.apply_async((delivery_id,), countdown=retry_delay(delivery.attempts))
    return str(delivery.state)


@shared_task(acks_late=True)
def send_lead_notification(ticket_id: int, rule_id: int, agent_ids: list[int], text: str) -> int:
    from .notifications import email_team_leads

    return email_team_leads(ticket_id=ticket_id, rule_id=rule_id, agent_ids=agent_ids, text=text)


@shared_task
def run_lifecycle() -> dict[str, int]:
    from .lifecycle import run_lifecycle as run

    return run().as_dict()


@shared_task
def wake_snoozed_tickets() -> int:
    from .lifecycle import wake_snoozed_tickets as wake

    return wake()
