"""Thin Celery tasks of the routing engine."""

from __future__ import annotations

from celery import shared_task


@shared_task(expires=10)
def routing_tick() -> dict[str, int]:
    """Offer timeouts, auto-away and offline, overflow of long waits (every few seconds)."""
    from .queues import tick

    return tick()
