"""The registry of connectors: `settings.BALIE_CONNECTORS`, one line per channel (its code and
the dotted path of its connector class). A connector is imported and made the first time its
channel is asked for, and kept for the life of the process."""

from __future__ import annotations

from django.conf import settings
from django.utils.module_loading import import_string

from .base import Connector

_made: dict[str, Connector] = {}


class UnknownChannel(LookupError):
    """A channel with no line in `BALIE_CONNECTORS`."""


def channels() -> list[str]:
    """The codes of the channels that have a connector."""
    return list(settings.BALIE_CONNECTORS)


def get_connector(kind: str) -> Connector:
    path = settings.BALIE_CONNECTORS.get(kind)
    if not path:
        raise UnknownChannel(f"no connector for channel {kind!r}")
    connector = _made.get(path)
    if connector is None:
        connector = _made[path] = import_string(path)()
    if connector.kind != kind:
        raise UnknownChannel(f"{path} is the connector of {connector.kind!r}, not of {kind!r}")
    return connector


def can_send(kind: str) -> bool:
    """Whether a reply can go out on this channel (a connector that sends)."""
    try:
        return get_connector(kind).can_send
    except UnknownChannel:
        return False
