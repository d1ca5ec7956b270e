"""The actor of a change: an agent, a customer or Balie itself.

The events themselves (their names, the audit trail, the consumers) are the tickets' event
stream: `balie.tickets.events.emit`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeAlias

if TYPE_CHECKING:
    from balie.accounts.models import Agent
    from balie.customers.models import Customer


@dataclass(frozen=True)
class System:
    """A change made by Balie itself (the pipeline, a periodic job)."""

    label: str = "Balie"


SYSTEM = System()

# Who made a change: the `by=` of every action. An agent, a customer (the portal, their own
# mail) or Balie itself (`SYSTEM`: the pipeline, a rule, a periodic job).
Actor: TypeAlias = "Agent | Customer | System"


def actor_fields(by: Actor) -> tuple[Agent | None, str]:
    from balie.accounts.models import Agent
    from balie.customers.models import Customer

    if isinstance(by, Agent):
        return by, by.display_name
    if isinstance(by, Customer):
        return None, f"{by} ({by.number})" if by.number else str(by)
    if isinstance(by, System):
        return None, by.label
    raise TypeError(f"unknown actor {by!r}")
