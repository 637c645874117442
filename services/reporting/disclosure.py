# SPDX-License-Identifier: EUPL-1.2
"""Disclosure control on every published number (interface.md, "Reporting"): pure functions, no database.

- Counts are rounded to a multiple of `GLANSRIJK_ROUNDING_BASE`; a count from 1 to k-1 is suppressed.
- A percentage, rate or median is suppressed when its denominator is below k or its numerator is from 1 to k-1;
  then its numerator and denominator are null too.
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
        small = 1 <= cell.numerator <= self.k - 1
        if self.is_count:
            return small
        if self.is_median:
            return len(cell.values or []) < self.k
        return (cell.denominator or 0) < self.k or small

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


def lines_of(keys: Iterable[Key], width: int) -> list[list[Key]]:
    """The lines of a breakdown: for each dimension, the cells that differ only in it (its total included)."""
    lines: dict[tuple[int, Key], list[Key]] = defaultdict(list)
    for key in keys:
        for i in range(width):
            lines[(i, key[:i] + key[i + 1 :])].append(key)
    return [members for (_, _), members in sorted(lines.items(), key=lambda item: item[0])]


def control(cells: dict[Key, Cell], policy: Policy, lines: list[list[Key]] | None = None) -> dict[Key, Published]:
    """Primary and secondary suppression, then rounding, of one period's breakdown (with its totals). `lines`
    may be passed when many periods share the same keys."""
    suppressed = {key for key, cell in cells.items() if policy.primary(cell)}
    width = len(next(iter(cells))) if cells else 0
    if lines is None:
        lines = lines_of(cells, width)
    changed = bool(suppressed)
    while changed:
        changed = False
        for members in lines:
            hidden = [key for key in members if key in suppressed]
            if len(hidden) != 1:
                continue
            i = _varying(members, width)
            candidates = [key for key in members if key[i] != TOTAL and key not in suppressed]
            if not candidates:
                continue
            chosen = min(candidates, key=lambda key: (policy.size(cells[key]), key[i]))
            suppressed.add(chosen)
            changed = True
    return {key: policy.publish(cell, key in suppressed) for key, cell in cells.items()}


def _varying(members: list[Key], width: int) -> int:
    """The dimension a line varies in: where its total (`T001`) differs from the other members."""
    for i in range(width):
        if len({key[i] for key in members}) > 1:
            return i
    return 0
