"""Live updates to agents and visitors through the channel layer, always after commit.

Groups: `team.<id>`, `ticket.<id>`, `agent.<id>`, `visitor.<token>`, and `inbox` for all agents.
Events carry ids only; the consumer renders what it swaps in.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

logger = logging.getLogger(__name__)


def send(groups: Iterable[str], event: str, data: dict[str, Any]) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    message = {"type": "balie.event", "event": event, "data": data}
    for group in groups:
        try:
            async_to_sync(layer.group_send)(group, message)
        except Exception:  # live updates are best effort; the database is the truth
            logger.warning("realtime publish to %s failed", group, exc_info=True)


def publish(groups: Iterable[str], event: str, data: dict[str, Any]) -> None:
    """Publish after the current transaction commits (immediately outside one)."""
    group_list = list(groups)
    transaction.on_commit(lambda: send(group_list, event, data))
