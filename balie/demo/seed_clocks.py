"""The SLA clocks of the seeded open tickets (`balie seed`), as `balie.sla` would have
started them; written in bulk beside the tickets by `balie.demo.seeding`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from balie.core.bulk_tables import TableWriter, dt


class ClockPlanner:
    """The SLA clocks an open ticket has, as `balie.sla` would have started them: policy and
    calendar chosen by the SLA app's own rules; due moments are left to its
    `recompute_due_times`, run once after the load."""

    def __init__(self) -> None:
        from balie.sla import actions, calendars, policies
        from balie.sla.models import SlaClock

        self._actions, self._calendars, self._policies = actions, calendars, policies
        self.writer = TableWriter(
            SlaClock,
            [
                "ticket",
                "policy",
                "calendar",
                "kind",
                "state",
                "target_seconds",
                "warn_seconds",
                "used_seconds",
                "started_at",
                "resumed_at",
            ],
        )
        self.model = SlaClock
        self._cache: dict[tuple[str, str, str, str, int | None], Any] = {}

    def plan(
        self, *, channel: str, priority: str, type: str, tier: str, team_id: int | None
    ) -> Any:
        key = (channel, priority, type, tier, team_id)
        found = self._cache.get(key, False)
        if found is False:
            policy = self._policies.choose_policy(
                channel=channel, priority=priority, type=type, tier=tier
            )
            try:
                calendar_id = self._calendars.calendar_id_for(channel=channel, team_id=team_id)
            except Exception:
                policy = None
            found = None
            if policy is not None:
                found = (
                    policy,
                    calendar_id,
                    self._policies.targets(policy, priority=priority),
                )
            self._cache[key] = found
        return found

    def clocks(
        self, number: int, plan: Any, *, status: str, kinds: Sequence[tuple[str, float]]
    ) -> list[tuple[Any, ...]]:
        policy, calendar_id, found = plan
        paused = self._actions.paused_by(policy, status)
        rows = []
        for kind, started in kinds:
            target = found.get(kind)
            if target is None:
                continue
            rows.append(
                (
                    number,
                    policy.pk,
                    calendar_id,
                    kind,
                    "paused" if paused else "running",
                    target.seconds,
                    target.warn_seconds,
                    min(target.seconds, 3600) if paused else 0,
                    dt(started),
                    dt(started),
                )
            )
        return rows

    def finish(self) -> int:
        return self._actions.recompute_due_times()


def clock_planner() -> ClockPlanner | None:
    try:
        return ClockPlanner()
    except (ImportError, AttributeError, LookupError):
        return None
