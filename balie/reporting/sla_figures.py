"""SLA figures per team and per channel over a period: read-only aggregates.

The population is the tickets created in the period (dates in Europe/Amsterdam, both ends
included) that the reader may see. Per group:

- SLA compliance per target (first response, resolution): clocks met without a breach against
  clocks breached, counted in the database with one grouped query;
- median and p90 of the first-response time (first answer by an agent minus creation) and of the
  resolution time (solved minus creation). In business time (the ticket's calendar, through
  `sla.business_time`) or in wall-clock time. Wall-clock percentiles are computed by PostgreSQL
  (`percentile_cont`); business time, and everything on SQLite, from one streamed query of
  timestamps. Percentiles interpolate linearly, as `percentile_cont` does.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from django.core.exceptions import ObjectDoesNotExist
from django.db import connection
from django.db.models import Aggregate, Count, DurationField, ExpressionWrapper, F, Q, QuerySet
from django.utils import timezone

from balie.tickets.models import Channel, Ticket

BUSINESS, WALL = "zakelijk", "klok"
DIMENSIONS = ("team", "channel")


class Percentile(Aggregate):
    """PostgreSQL's percentile_cont(p) WITHIN GROUP (ORDER BY expression)."""

    function = "PERCENTILE_CONT"
    name = "Percentile"
    template = "%(function)s(%(fraction)s) WITHIN GROUP (ORDER BY %(expressions)s)"

    def __init__(self, expression: Any, fraction: float, **extra: Any) -> None:
        super().__init__(expression, fraction=float(fraction), **extra)


def percentile(values: list[float], fraction: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    position = fraction * (len(ordered) - 1)
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


@dataclass
class ReportRow:
    dimension: str
    key: Any
    label: str
    tickets: int = 0
    first_response_met: int = 0
    first_response_breached: int = 0
    resolution_met: int = 0
    resolution_breached: int = 0
    first_response_median: float | None = None  # seconds
    first_response_p90: float | None = None
    resolution_median: float | None = None
    resolution_p90: float | None = None

    @staticmethod
    def _share(met: int, breached: int) -> float | None:
        return round(100 * met / (met + breached), 1) if met + breached else None

    @property
    def first_response_compliance(self) -> float | None:
        return self._share(self.first_response_met, self.first_response_breached)

    @property
    def resolution_compliance(self) -> float | None:
        return self._share(self.resolution_met, self.resolution_breached)


@dataclass
class SlaReport:
    start: date
    end: date
    time_kind: str
    by_team: list[ReportRow] = field(default_factory=list)
    by_channel: list[ReportRow] = field(default_factory=list)

    def rows(self) -> Iterable[ReportRow]:
        yield from self.by_team
        yield from self.by_channel


def period_bounds(start: date, end: date) -> tuple[datetime, datetime]:
    tz = timezone.get_default_timezone()
    return (
        datetime.combine(start, time(0), tzinfo=tz),
        datetime.combine(end + timedelta(days=1), time(0), tzinfo=tz),
    )


def _group_field(dimension: str) -> str:
    return "team" if dimension == "team" else "channel"


def _labels(dimension: str, keys: Iterable[Any]) -> dict[Any, str]:
    from balie.accounts.models import Team

    if dimension == "team":
        names = dict(Team.objects.filter(pk__in=[k for k in keys if k]).values_list("pk", "name"))
        return {k: names.get(k, "—") if k else "(geen team)" for k in keys}
    return {k: str(Channel(k).label) if k in Channel.values else k for k in keys}


def _compliance(tickets: QuerySet[Ticket], dimension: str) -> dict[Any, dict[str, int]]:
    group = _group_field(dimension)

    def clocks(kind: str, breached: bool) -> Count:
        condition = Q(sla_clocks__kind=kind, sla_clocks__breached_at__isnull=not breached)
        if not breached:
            condition &= Q(sla_clocks__state="met")
        return Count("sla_clocks", filter=condition)

    rows = (
        tickets.order_by()
        .values(group)
        .annotate(
            tickets=Count("id", distinct=True),
            first_response_met=clocks("first_response", False),
            first_response_breached=clocks("first_response", True),
            resolution_met=clocks("resolution", False),
            resolution_breached=clocks("resolution", True),
        )
    )
    return {row.pop(group): row for row in rows}


FIRST_RESPONSE = ExpressionWrapper(
    F("first_response_at") - F("created_at"), output_field=DurationField()
)
RESOLUTION = ExpressionWrapper(F("solved_at") - F("created_at"), output_field=DurationField())


def _wall_percentiles_in_database(
    tickets: QuerySet[Ticket], dimension: str
) -> dict[Any, dict[str, float | None]]:
    group = _group_field(dimension)
    result: dict[Any, dict[str, float | None]] = {}
    for name, expression, present in (
        ("first_response", FIRST_RESPONSE, Q(first_response_at__isnull=False)),
        ("resolution", RESOLUTION, Q(solved_at__isnull=False)),
    ):
        rows = (
            tickets.filter(present)
            .order_by()
            .values(group)
            .annotate(
                median=Percentile(expression, 0.5, output_field=DurationField()),
                p90=Percentile(expression, 0.9, output_field=DurationField()),
            )
        )
        for row in rows:
            figures = result.setdefault(row[group], {})
            for stat in ("median", "p90"):
                value = row[stat]
                figures[f"{name}_{stat}"] = value.total_seconds() if value is not None else None
    return result


def _percentiles_from_rows(
    tickets: QuerySet[Ticket], dimension: str, time_kind: str
) -> dict[Any, dict[str, float | None]]:
    from balie.sla.business_time import business_time_between
    from balie.sla.calendars import calendar_for

    group = _group_field(dimension)
    calendars: dict[tuple[str, int | None], Any] = {}

    def seconds(row: dict[str, Any], end: datetime) -> float:
        if time_kind == WALL:
            return (end - row["created_at"]).total_seconds()
        key = (row["channel"], row["team"])
        if key not in calendars:
            try:
                calendars[key] = calendar_for(channel=key[0], team_id=key[1])
            except ObjectDoesNotExist:
                calendars[key] = None
        if calendars[key] is None:
            return (end - row["created_at"]).total_seconds()
        return business_time_between(calendars[key], row["created_at"], end).total_seconds()

    samples: dict[Any, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    rows = (
        tickets.filter(Q(first_response_at__isnull=False) | Q(solved_at__isnull=False))
        .order_by()
        .values("team", "channel", "created_at", "first_response_at", "solved_at")
    )
    for row in rows.iterator(chunk_size=2000):
        for name, end in (
            ("first_response", row["first_response_at"]),
            ("resolution", row["solved_at"]),
        ):
            if end is not None and end >= row["created_at"]:
                samples[row[group]][name].append(seconds(row, end))
    return {
        key: {
            f"{name}_{stat}": percentile(values.get(name, []), fraction)
            for name in ("first_response", "resolution")
            for stat, fraction in (("median", 0.5), ("p90", 0.9))
        }
        for key, values in samples.items()
    }


def sla_report(
    tickets: QuerySet[Ticket], *, start: date, end: date, time_kind: str = BUSINESS
) -> SlaReport:
    """The SLA report over tickets (already scoped to what the reader may see)."""
    since, until = period_bounds(start, end)
    population = tickets.filter(created_at__gte=since, created_at__lt=until)
    report = SlaReport(start=start, end=end, time_kind=time_kind)
    for dimension in DIMENSIONS:
        counts = _compliance(population, dimension)
        if time_kind == WALL and connection.vendor == "postgresql":
            times = _wall_percentiles_in_database(population, dimension)
        else:
            times = _percentiles_from_rows(population, dimension, time_kind)
        labels = _labels(dimension, counts)
        rows = [
            ReportRow(
                dimension=dimension, key=key, label=labels[key], **counts[key], **times.get(key, {})
            )
            for key in counts
        ]
        rows.sort(key=lambda r: r.label.lower())
        if dimension == "team":
            report.by_team = rows
        else:
            report.by_channel = rows
    return report
