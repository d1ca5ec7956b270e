"""The registry of connectors: one line per channel."""

from __future__ import annotations

from .base import Connector
from .email import EmailConnector
from .webform import WebformConnector

CONNECTORS: dict[str, Connector] = {
    "email": EmailConnector(),
    "webform": WebformConnector(),
}


def get_connector(kind: str) -> Connector:
    try:
        return CONNECTORS[kind]
    except KeyError:
        raise LookupError(f"no connector for channel {kind!r}") from None
