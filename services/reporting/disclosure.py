# SPDX-License-Identifier: EUPL-1.2
"""Disclosure control on every published number (interface.md, "Reporting"): pure functions, no database.

- Counts are rounded to a multiple of `GLANSRIJK_ROUNDING_BASE`; a count from 1 to k-1 is suppressed.
- A percentage, rate or median is suppressed when its denominator is below k or its numerator is from 1 to k-1;
  then its numerator and denominator are null too. Over a population of 0 it has no value but is not suppressed.
- Secondary suppression: where a line of a breakdown (one dimension varying, the others fixed, with its total)
  has exactly one suppressed cell, the cell with the smallest unrounded count in that line (ties: the lowest
  code) is suppressed too, until no line has exactly one. A total is never chosen, so the totals of a breakdown
  are those of the breakdown by fewer dimensions: the same cell always has the same value.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from services.reporting.periods import TOTAL

Key = tuple[str, ...]
Lines = dict[tuple[int, Key], list[Key]]


@dataclass
class Cell:
    """One cell before disclosure control: unrounded numerator and denominator, or the values of a median."""

    numerator: int = 0
    denominator: int | None = None
    values: list[float] | None = None

    def add(self, other: Cell) -> None:
        self.numerator += other.numerator
        if other.denominator is not None:
            self.denominator = (self.denominator or 0) + other.denominator
        if other.values is not None:
            self.values = [*(self.values or []), *other.values]


@dataclass(frozen=True)
class Published:
    value: float | int | None
    numerator: int | None
    denominator: int | None
    suppressed: bool


@dataclass
class Policy:
    k: int
    base: int
    unit: str
    # A per-1000 rate multiplies; a percentage 100; a count or median none.
    scale: float = field(init=False)

    def __post_init__(self) -> None:
        self.scale = {"percentage": 100.0, "per-1000": 1000.0}.get(self.unit, 1.0)

    @property
    def is_count(self) -> bool:
        return self.unit == "count"

    @property
    def is_median(self) -> bool:
        return self.unit == "working-days"

    def size(self, cell: Cell) -> int:
        """The unrounded count that orders secondary suppression: the count, or the ratio's population."""
        if self.is_count:
            return cell.numerator
        if self.is_median:
            return len(cell.values or [])
        return cell.denominator or 0

    def primary(self, cell: Cell) -> bool:
        """A ratio or median over nobody (a population of 0) has no value and nothing to protect: it is not
        suppressed, and so never forces a secondary suppression of a real cell (ADR 0021)."""
        small = 1 <= cell.numerator <= self.k - 1
        if self.is_count:
            return small
        if self.is_median:
            return 0 < len(cell.values or []) < self.k
        return small or 0 < (cell.denominator or 0) < self.k

    def hides_something(self, cell: Cell) -> bool:
        """Whether suppressing the cell hides anything: a ratio or median over nobody shows no value anyway."""
        return self.is_count or self.size(cell) > 0 or cell.numerator > 0

    def round_count(self, count: int) -> int:
        return ((2 * count + self.base) // (2 * self.base)) * self.base

    def publish(self, cell: Cell, suppressed: bool) -> Published:
        if suppressed:
            return Published(None, None, None, True)
        if self.is_count:
            rounded = self.round_count(cell.numerator)
            return Published(rounded, rounded, None, False)
        if self.is_median:
            values = cell.values or []
            return Published(median(values), None, self.round_count(len(values)), False)
        denominator = cell.denominator or 0
        value = round(self.scale * cell.numerator / denominator, 1) if denominator else None
        return Published(value, self.round_count(cell.numerator), self.round_count(denominator), False)


def median(values: Iterable[float]) -> float | None:
    """The median; for an even count the mean of the two middle values; one decimal (domain.md)."""
    ordered = sorted(values)
    if not ordered:
        return None
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return round(float(ordered[middle]), 1)
    return round((ordered[middle - 1] + ordered[middle]) / 2, 1)


def _copy(cell: Cell) -> Cell:
    return Cell(cell.numerator, cell.denominator, None if cell.values is None else list(cell.values))


def with_totals(fine: dict[Key, Cell], width: int) -> dict[Key, Cell]:
    """Every cell of the breakdown plus its marginal totals (`T001` in the dimensions summed over)."""
    full = {key: _copy(cell) for key, cell in fine.items()}
    for mask in range(1, 1 << width):
        summed = [bool(mask >> i & 1) for i in range(width)]
        for key, cell in fine.items():
            target = tuple([TOTAL if total else value for total, value in zip(summed, key, strict=True)])
            found = full.get(target)
            if found is None:
                full[target] = _copy(cell)
            else:
                found.add(cell)
    if not full:
        full[(TOTAL,) * width] = Cell()
    return full


def lines_of(keys: Iterable[Key], width: int) -> Lines:
    """The lines of a breakdown, by the dimension they vary in and the values of the others: the cells that
    differ only in that dimension, its total included."""
    lines: Lines = defaultdict(list)
    for key in keys:
        for i in range(width):
            lines[(i, key[:i] + key[i + 1 :])].append(key)
    return dict(sorted(lines.items()))


def control(cells: dict[Key, Cell], policy: Policy, lines: Lines | None = None) -> dict[Key, Published]:
    """Primary and secondary suppression, then rounding, of one period's breakdown (with its totals). `lines`
    may be passed when many periods share the same keys."""
    suppressed = {key for key, cell in cells.items() if policy.primary(cell)}
    width = len(next(iter(cells))) if cells else 0
    if lines is None:
        lines = lines_of(cells, width)

    def pinned(key: Key, i: int) -> bool:
        """Whether the cell follows from another line anyway: there its total is shown and every other cell is
        a ratio over nobody (shown, and nothing to hide), so the cell equals that total. Hiding it protects
        nothing, so another cell is chosen when there is one."""
        for j in range(width):
            if j == i or key[j] == TOTAL or (*key[:j], TOTAL, *key[j + 1 :]) in suppressed:
                continue
            others = [m for m in lines.get((j, key[:j] + key[j + 1 :]), []) if m != key and m[j] != TOTAL]
            if all(m not in suppressed and not policy.hides_something(cells[m]) for m in others):
                return True
        return False

    changed = bool(suppressed)
    while changed:
        changed = False
        for (i, _), members in lines.items():
            hidden = [key for key in members if key in suppressed]
            if len(hidden) != 1:
                continue
            candidates = [
                key
                for key in members
                if key[i] != TOTAL and key not in suppressed and policy.hides_something(cells[key])
            ]
            if not candidates:
                continue
            free = [key for key in candidates if not pinned(key, i)]
            chosen = min(free or candidates, key=lambda key: (policy.size(cells[key]), key[i]))
            suppressed.add(chosen)
            changed = True
    return {key: policy.publish(cell, key in suppressed) for key, cell in cells.items()}
