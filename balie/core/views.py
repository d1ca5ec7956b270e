"""Health of the components: GET /healthz, for load balancers, monitoring and `make run`.

No login needed, so the answer holds only states, timings and backend kinds: never a host,
a URL or an error message that could carry a password.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from datetime import datetime
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import InMemoryChannelLayer, get_channel_layer
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from .tasks import WORKER_HEARTBEAT_KEY

HEARTBEAT_FRESH_SECONDS = 90
CHANNEL_LAYER_TIMEOUT = 2.0


def _ms(start: float) -> float:
    return round((time.perf_counter() - start) * 1000, 1)


def check_database() -> dict[str, Any]:
    start = time.perf_counter()
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:
        return {"status": "error", "vendor": connection.vendor, "error": type(exc).__name__}
    return {"status": "ok", "vendor": connection.vendor, "ms": _ms(start)}


async def _round_trip(layer: Any) -> None:
    channel = await layer.new_channel("healthz.")
    token = uuid.uuid4().hex
    await layer.send(channel, {"type": "healthz.ping", "token": token})
    while True:
        message = await layer.receive(channel)
        if message.get("token") == token:
            break
    # A receive that is cancelled unsubscribes its channel (channels-redis's documented
    # clean-up path); without it every health check would leave a subscription behind.
    waiter = asyncio.ensure_future(layer.receive(channel))
    await asyncio.sleep(0)
    waiter.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await waiter


def check_channel_layer() -> dict[str, Any]:
    layer = get_channel_layer()
    if layer is None:
        return {"status": "error", "backend": "none"}
    backend = "in-memory" if isinstance(layer, InMemoryChannelLayer) else "redis"
    if "redis" not in type(layer).__module__ and backend != "in-memory":
        backend = type(layer).__name__
    start = time.perf_counter()
    try:
        async_to_sync(asyncio.wait_for)(_round_trip(layer), CHANNEL_LAYER_TIMEOUT)
    except Exception as exc:
        return {"status": "error", "backend": backend, "error": type(exc).__name__}
    return {"status": "ok", "backend": backend, "ms": _ms(start)}


def check_worker() -> dict[str, Any]:
    if settings.CELERY_TASK_ALWAYS_EAGER:
        return {"status": "ok", "mode": "eager"}
    result: dict[str, Any] = {"mode": "celery"}
    try:
        beat = cache.get(WORKER_HEARTBEAT_KEY)
    except Exception as exc:
        beat = None
        result["heartbeat_error"] = type(exc).__name__
    if isinstance(beat, dict) and beat.get("at"):
        age = (timezone.now() - datetime.fromisoformat(beat["at"])).total_seconds()
        result["last_heartbeat"] = beat["at"]
        result["heartbeat_age_seconds"] = round(age, 1)
        if age <= HEARTBEAT_FRESH_SECONDS:
            return {"status": "ok", **result}
    from config.celery import app

    try:
        replies = app.control.ping(timeout=1.0)
    except Exception as exc:
        return {"status": "down", **result, "error": type(exc).__name__}
    result["workers"] = len(replies or [])
    return {"status": "ok" if replies else "down", **result}


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    database = check_database()
    channel_layer = check_channel_layer()
    worker = check_worker()
    if database["status"] != "ok":
        status, code = "error", 503
    elif channel_layer["status"] != "ok" or worker["status"] != "ok":
        status, code = "degraded", 200
    else:
        status, code = "ok", 200
    return JsonResponse(
        {
            "status": status,
            "database": database,
            "channel_layer": channel_layer,
            "worker": worker,
        },
        status=code,
    )
