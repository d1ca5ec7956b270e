"""Live updates to agents and visitors through the channel layer, always after commit.

Groups: `inbox` for all agents (every change in the audit trail goes there, once), `ticket.<id>`
(who is typing on a ticket page), `team.<id>` and `agent.<id>` (notices meant for them),
`visitor.<token>`. Events carry ids only; the consumer renders what it swaps in.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import weakref
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

logger = logging.getLogger(__name__)


_collecting = threading.local()


@contextmanager
def coalesced() -> Iterator[None]:
    """Events sent inside go out together at the end, in one trip to the channel layer (a
    worker filing many messages; outside an event loop every trip starts a loop of its own)."""
    if getattr(_collecting, "items", None) is not None:
        yield  # already collecting
        return
    _collecting.items = []
    try:
        yield
    finally:
        items, _collecting.items = _collecting.items, None
        if items:
            _send_all(items)


def send(groups: Iterable[str], event: str, data: dict[str, Any]) -> None:
    items = getattr(_collecting, "items", None)
    if items is not None:
        items.append((list(groups), event, data))
        return
    _send_all([(list(groups), event, data)])


_handoff = threading.local()


@contextmanager
def handed_to(loop: asyncio.AbstractEventLoop) -> Iterator[None]:
    """Inside (a socket's database call, run in a pooled thread for that socket's event loop):
    what is sent is handed to `loop` and sent there, in order, while this thread goes on.
    Waiting for each trip from the thread held the thread, and its database connection,
    until the busy loop got round to it: an agent's answers queued behind each other's."""
    previous = getattr(_handoff, "loop", None)
    _handoff.loop = loop
    try:
        yield
    finally:
        _handoff.loop = previous


_queues: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Queue[Any]] = (
    weakref.WeakKeyDictionary()
)


def _queue_on(loop: asyncio.AbstractEventLoop, messages: list[tuple[str, dict[str, Any]]]) -> None:
    """In `loop`: queue a trip for the loop's one sender (trips go out in the order queued)."""
    queue = _queues.get(loop)
    if queue is None:
        queue = _queues[loop] = asyncio.Queue()
        loop.create_task(_sender(queue))
    queue.put_nowait(messages)


async def _sender(queue: asyncio.Queue[Any]) -> None:
    """Send the trips queued, as they come: what waits is taken at once, each group's messages
    in the order queued, the groups side by side (one round trip to Redis at a time for all
    of them held every chat's news behind every other's)."""
    layer = get_channel_layer()
    while True:
        trips = [await queue.get()]
        while not queue.empty():
            trips.append(queue.get_nowait())
        by_group: dict[str, list[dict[str, Any]]] = {}
        for messages in trips:
            for group, message in messages:
                by_group.setdefault(group, []).append(message)
        await asyncio.gather(*(_send_group(layer, g, m) for g, m in by_group.items()))


async def _send_group(layer: Any, group: str, messages: list[dict[str, Any]]) -> None:
    for message in messages:
        try:
            await layer.group_send(group, message)
        except Exception:  # live updates are best effort; the database is the truth
            logger.warning("realtime publish to %s failed", group, exc_info=True)


def send_messages(messages: list[tuple[str, dict[str, Any]]]) -> None:
    """Channel-layer messages to their groups, in order: handed to the socket's loop inside
    `handed_to`, else sent before returning."""
    layer = get_channel_layer()
    if layer is None or not messages:
        return
    loop = getattr(_handoff, "loop", None)
    if loop is not None and not loop.is_closed():
        try:
            loop.call_soon_threadsafe(_queue_on, loop, messages)
            return
        except RuntimeError:  # the loop closed meanwhile: send from here
            pass

    async def send_in_order() -> None:
        for group, message in messages:
            try:
                await layer.group_send(group, message)
            except Exception:  # live updates are best effort; the database is the truth
                logger.warning("realtime publish to %s failed", group, exc_info=True)

    try:
        async_to_sync(send_in_order)()
    except Exception:
        logger.warning("realtime publish failed", exc_info=True)


def _send_all(items: list[tuple[list[str], str, dict[str, Any]]]) -> None:
    send_messages(trip_messages(items))


def trip_messages(
    items: list[tuple[list[str], str, dict[str, Any]]],
) -> list[tuple[str, dict[str, Any]]]:
    """One channel-layer message per group for a trip: `balie.event` for a single event,
    `balie.events` (in order) for several. A worker filing a burst of mail makes hundreds of
    changes at once; as one message each, every connected agent's consumer handled and sent
    them one by one, and with a few hundred agents connected the web process fell seconds
    behind (docs/performance.md, "Live updates")."""
    by_group: dict[str, list[dict[str, Any]]] = {}
    for groups, event, data in items:
        for group in groups:
            by_group.setdefault(group, []).append({"event": event, "data": data})
    messages = []
    for group, events in by_group.items():
        if len(events) == 1:
            messages.append((group, {"type": "balie.event", **events[0]}))
        else:
            messages.append((group, {"type": "balie.events", "events": events}))
    return messages


def publish(groups: Iterable[str], event: str, data: dict[str, Any]) -> None:
    """Publish after the current transaction commits (immediately outside one)."""
    group_list = list(groups)
    transaction.on_commit(lambda: send(group_list, event, data))
