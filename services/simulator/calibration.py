# SPDX-License-Identifier: EUPL-1.2
"""The calibration check: the simulated rates beside the public figures of `data/calibration.json`.

The rates are measured on the simulation's own ground truth (what each youth is doing), not on the emitted
events, so that the check says whether the population behaves like the city's, independent of what arrives
late. Each target's `measure` in the data file says how it is counted.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from services.simulator.params import Target, targets


@dataclass
class Ratio:
    numerator: float = 0.0
    denominator: float = 0.0

    def add(self, hit: bool) -> None:
        self.denominator += 1
        self.numerator += 1 if hit else 0

    @property
    def share(self) -> float:
        return self.numerator / self.denominator if self.denominator else math.nan


@dataclass
class Stats:
    """Counts collected during a simulation; `rates()` turns them into the targets' units."""

    months: int = 12
    neet: Ratio = field(default_factory=Ratio)  # pooled over month-ends
    neet_month_ends: int = 0
    care: Ratio = field(default_factory=Ratio)
    early_leavers: Ratio = field(default_factory=Ratio)
    thuiszitters: Ratio = field(default_factory=Ratio)

    def sizes(self) -> dict[str, float]:
        """The number of independent youths behind each rate (month-ends of one youth are not independent)."""
        per_month = self.neet.denominator / max(1, self.neet_month_ends)
        return {
            "neet-rate": per_month,
            "youth-care-under-18": self.care.denominator,
            "early-leavers": self.early_leavers.denominator,
            "thuiszitters": self.thuiszitters.denominator,
        }

    def rates(self) -> dict[str, float]:
        annual = 12 / max(1, self.months)
        return {
            "neet-rate": 100 * self.neet.share,
            "youth-care-under-18": 100 * self.care.share,
            "early-leavers": 100 * self.early_leavers.share * annual,
            "thuiszitters": 1000 * self.thuiszitters.share * annual,
        }


@dataclass(frozen=True)
class Row:
    target: Target
    simulated: float
    size: float
    standard_error: float

    @property
    def allowed(self) -> float:
        """The stated tolerance, widened to 4 standard errors of a binomial share at this population's size."""
        return max(self.target.tolerance, 4 * self.standard_error)

    @property
    def ok(self) -> bool:
        return abs(self.simulated - self.target.value) <= self.allowed


SCALE = {"percent": 100.0, "per-1000": 1000.0}


def check(stats: Stats) -> list[Row]:
    rates, sizes = stats.rates(), stats.sizes()
    rows = []
    for target in targets():
        scale = SCALE[target.unit]
        p = min(max(target.value / scale, 1e-6), 1 - 1e-6)
        n = sizes[target.code]
        annual = 12 / max(1, stats.months) if target.code in ("early-leavers", "thuiszitters") else 1.0
        se = scale * annual * math.sqrt(p * (1 - p) / n) if n else math.inf
        rows.append(Row(target, rates[target.code], n, se))
    return rows


def table(rows: list[Row]) -> str:
    unit = {"percent": "%", "per-1000": "‰"}
    lines = [f"{'calibration target':<26}{'simulated':>10}{'target':>9}{'allowed':>9}  {'n':>7}  ok  source"]
    for row in rows:
        u = unit.get(row.target.unit, "")
        lines.append(
            f"{row.target.code:<26}{row.simulated:>9.2f}{u}{row.target.value:>8.2f}{u} ±{row.allowed:>6.2f}{u}"
            f"  {row.size:>7.0f}  {'yes' if row.ok else 'NO '} {row.target.source} <{row.target.url}>"
        )
    return "\n".join(lines)
