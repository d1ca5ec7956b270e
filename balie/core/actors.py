"""The actor of a change: an agent, a customer or Balie itself.

The events themselves (their names, the audit trail, the consumers) are the tickets' event
stream: `balie.tickets.events.emit`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from balie.accounts.models import Agent


@dataclass(frozen=True)
class System:
    """A change made by Balie itself (the pipeline, a periodic job)."""

    label: str = "Balie"


SYSTEM = System()

Actor = "Agent | Customer | System"


def actor_fields(by: Any) -> tuple[Agent | None, str]:
    from balie.accounts.models import Agent
    from balie.customers.models import Customer

    if isinstance(by, Agent):
        return by, by.display_name
    if isinstance(by, Customer):
        return None, f"{by} ({by.number})" if by.number else str(by)
    if isinstance(by, System):
        return None, by.label
    raise TypeError(f"unknown actor {by!r}")
