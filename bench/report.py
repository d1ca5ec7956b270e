"""Result rows, the printed table and var/bench/results.json."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path


@dataclass
class Result:
    metric: str
    value: float | None
    unit: str
    target: str  # "<= 30", ">= 500" or "" (informative)
    passed: bool | None = None
    note: str = ""

    def __post_init__(self) -> None:
        if self.value is not None:
            self.value = round(float(self.value), 2)
        if self.passed is None and self.value is not None and self.target:
            op, _sep, limit = self.target.partition(" ")
            bound = float(limit)
            self.passed = self.value <= bound if op == "<=" else self.value >= bound

    def row(self) -> dict[str, object]:
        data = asdict(self)
        data["pass"] = data.pop("passed")
        return data


def missing(metric: str, unit: str, target: str, why: str) -> Result:
    return Result(metric, None, unit, target, None, f"not available yet: {why}")


def table(results: list[Result]) -> str:
    lines = [f"{'metric':<44} {'value':>10} {'unit':<6} {'target':<8} {'pass':<5} note"]
    lines.append("-" * 100)
    for r in results:
        value = "—" if r.value is None else f"{r.value:g}"
        verdict = {True: "yes", False: "NO", None: "—"}[r.passed]
        lines.append(
            f"{r.metric:<44} {value:>10} {r.unit:<6} {r.target or '':<8} {verdict:<5} {r.note}"
        )
    return "\n".join(lines)


def write(results: list[Result], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps([r.row() for r in results], indent=2, ensure_ascii=False) + "\n")
