"""Thin Celery tasks of the core app."""

from __future__ import annotations

import socket

from celery import shared_task
from django.core.cache import cache
from django.utils import timezone

WORKER_HEARTBEAT_KEY = "worker-heartbeat"
WORKER_HEARTBEAT_TTL = 300


@shared_task(ignore_result=True)
def record_worker_heartbeat() -> str:
    """Write the time a worker last ran a job, so /healthz can tell the worker is alive without
    asking it. Listed in config/schedule.py; idempotent (the newest write wins)."""
    now = timezone.now().isoformat()
    cache.set(WORKER_HEARTBEAT_KEY, {"at": now, "host": socket.gethostname()}, WORKER_HEARTBEAT_TTL)
    return now
