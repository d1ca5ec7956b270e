"""Choosing the SLA policy of a ticket and the due times it gives."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from . import business_time
from .business_time import BusinessCalendar
from .calendars import cached
from .models import ClockKind, SlaPolicy


def active_policies() -> list[SlaPolicy]:
    store = cached()
    if store.policies is None:
        store.policies = list(SlaPolicy.objects.filter(is_active=True).order_by("position", "id"))
    return store.policies


def choose_policy(
    *, channel: str, priority: str = "normal", type: str = "question", tier: str = "standard"
) -> SlaPolicy | None:
    """The first active policy (by position) whose conditions all match."""
    for policy in active_policies():
        if policy.matches(channel=channel, priority=priority, type=type, tier=tier):
            return policy
    return None


@dataclass(frozen=True)
class Target:
    kind: str
    seconds: int
    warn_seconds: int


def targets(policy: SlaPolicy, *, priority: str) -> dict[str, Target]:
    """The targets of a policy for a priority, in business seconds, by clock kind."""
    result = {}
    for kind in ClockKind:
        minutes = policy.target_minutes(kind, priority)
        if minutes is None:
            continue
        seconds = max(1, round(minutes * 60))
        warn = min(seconds, round(seconds * policy.warn_at_percent / 100))
        result[kind.value] = Target(kind.value, seconds, warn)
    return result


@dataclass(frozen=True)
class DueTimes:
    policy: SlaPolicy
    calendar: BusinessCalendar
    received_at: datetime
    first_response: datetime | None
    next_response: datetime | None
    resolution: datetime | None
    targets: dict[str, Target]


def due_times(
    policy: SlaPolicy, cal: BusinessCalendar, *, priority: str, received_at: datetime
) -> DueTimes:
    """The due times a ticket received at `received_at` would get (the next-response time as if
    the customer wrote then)."""
    found = targets(policy, priority=priority)

    def due(kind: str) -> datetime | None:
        target = found.get(kind)
        if target is None:
            return None
        return business_time.add_business_time(cal, received_at, timedelta(seconds=target.seconds))

    return DueTimes(
        policy=policy,
        calendar=cal,
        received_at=received_at,
        first_response=due(ClockKind.FIRST_RESPONSE),
        next_response=due(ClockKind.NEXT_RESPONSE),
        resolution=due(ClockKind.RESOLUTION),
        targets=found,
    )
