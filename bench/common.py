"""Small helpers shared by the benchmarks."""

from __future__ import annotations

import statistics
from dataclasses import dataclass


@dataclass
class Result:
    name: str
    measured: float
    baseline: float
    unit: str
    baseline_name: str
    goal: str = ""
    higher_is_better: bool = False

    @property
    def ratio(self) -> float:
        return self.measured / self.baseline if self.baseline else float("inf")

    def row(self) -> str:
        return (f"{self.name:<38} {self.measured:>10.3f} {self.unit:<6} {self.baseline_name:<30} "
                f"{self.baseline:>10.3f} {self.ratio:>7.2f}x  {self.goal}")


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    k = max(0, min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1))))
    return ordered[k]


def median(values: list[float]) -> float:
    return statistics.median(values)


HEADER = (f"{'benchmark':<38} {'measured':>10} {'unit':<6} {'baseline':<30} {'value':>10} {'ratio':>8}  goal")
