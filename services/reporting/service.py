# SPDX-License-Identifier: EUPL-1.2
"""Observations and groups: which periods, which query, then the totals and disclosure control.

No SQL strings and no commits here: the queries modules hold the SQL, the request or task owns the session.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from itertools import product
from typing import Any

from sqlalchemy.orm import Session

from services.core.settings import get_settings
from services.reporting import queries, queries_cohorts, queries_events
from services.reporting.catalogue import Indicator
from services.reporting.disclosure import Cell, Key, Lines, Policy, control, lines_of, with_totals
from services.reporting.periods import AGE_BANDS, GROUPS, SECTORS, Period, PeriodKind, periods_between
from services.reporting.queries import Breakdown
from services.signals.rules.catalogue import SIGNAL_TYPES

# GLANSRIJK_GO_LIVE_DATE unset: the date of the first migration (interface.md, "Running it").
FIRST_MIGRATION_DATE = date(2026, 11, 22)
FIXED_CODES: dict[str, tuple[str, ...]] = {
    "ageBand": AGE_BANDS,
    "sector": SECTORS,
    "group": GROUPS,
    "signalType": tuple(sorted(SIGNAL_TYPES)),
}
SNAPSHOT_DIMENSIONS = frozenset({"district", "ageBand", "sector", "group"})


@dataclass(frozen=True)
class Row:
    period: Period
    key: Key  # the `by` dimension values, T001 where summed over
    value: float | int | None
    numerator: int | None
    denominator: int | None
    suppressed: bool


def go_live() -> date:
    return get_settings().go_live_date or FIRST_MIGRATION_DATE


def policy_for(indicator: Indicator) -> Policy:
    settings = get_settings()
    return Policy(settings.disclosure_k, settings.rounding_base, indicator.unit)


def published_periods(
    session: Session, indicator: Indicator, kind: PeriodKind, first: date, last: date, by: Sequence[str], today: date
) -> list[Period]:
    """Whole periods that have ended, within [first, last], that the data can answer."""
    periods = periods_between(kind, first, min(last, today - timedelta(days=1)))
    if indicator.signal_based:
        periods = [p for p in periods if p.start >= go_live()]
    needs_snapshot = indicator.source == "cube" or indicator.code == "absence-16h-rate"
    if needs_snapshot or SNAPSHOT_DIMENSIONS.intersection(by):
        computed = queries.computed_month_ends(session, [p.end for p in periods])
        periods = [p for p in periods if p.end in computed]
    return periods


def fine_cells(
    session: Session, indicator: Indicator, periods: Sequence[Period], by: Sequence[str], today: date
) -> Breakdown:
    """One query for the indicator: a cell per period and combination of `by` values (no totals yet)."""
    code = indicator.code
    if not periods:
        return {}
    if indicator.source == "cube":
        return queries.cube(session, code, periods, by)
    if code == "absence-16h-rate":
        signals = queries_events.signal_counts(session, code, periods, by)
        enrolled = queries.cube(session, code, periods, by)
        for period_code, cells in enrolled.items():
            for key, cell in cells.items():
                cell.numerator = signals.get(period_code, {}).pop(key, Cell()).numerator
        for period_code, rest in signals.items():  # signals of youths without a snapshot row that day
            for key, cell in rest.items():
                enrolled.setdefault(period_code, {})[key] = Cell(cell.numerator, 0)
        return enrolled
    if code == "time-to-acknowledge":
        return queries_events.acknowledge_spans(session, periods, by)
    if code == "handover-time":
        return queries_events.handover_spans(session, periods, by)
    if indicator.source == "signals":
        return queries_events.signal_counts(session, code, periods, by)
    if indicator.source == "trajectories":
        return queries_cohorts.trajectories(session, code, periods, by)
    return queries_cohorts.cohorts(session, code, periods, by, today)


def _empty(indicator: Indicator) -> Cell:
    if indicator.unit == "working-days":
        return Cell(values=[])
    return Cell(0, 0 if indicator.is_ratio else None)


def axis(session: Session, name: str) -> tuple[str, ...]:
    """The values of a dimension, the same for every request: a fixed code list, every district the cube has
    known (and `unknown`), or every partner. A value that only some requests showed would change which cell
    secondary suppression picks, and so the same cell's value between two requests."""
    if name in FIXED_CODES:
        return FIXED_CODES[name]
    if name == "district":
        return tuple(sorted({*queries.districts(session), "unknown"}))
    return tuple(queries.partner_ids(session))


def _grid(session: Session, indicator: Indicator, breakdown: Breakdown, by: Sequence[str]) -> list[Key]:
    """Every combination of band values, so that every period has the same rows."""
    values = [axis(session, name) for name in by]
    for i in range(len(by)):
        # A value outside the axis (a partner created since the query began) is shown, not dropped.
        extra = {key[i] for cells in breakdown.values() for key in cells} - set(values[i])
        values[i] = (*values[i], *sorted(extra))
    if indicator.code == "youths-per-group" and "group" in by:
        position = list(by).index("group")
        values[position] = tuple(g for g in values[position] if g != "none")
    return [tuple(combination) for combination in product(*values)]


def observations(
    session: Session, indicator: Indicator, kind: PeriodKind, first: date, last: date, by: Sequence[str], today: date
) -> list[Row]:
    periods = published_periods(session, indicator, kind, first, last, by, today)
    breakdown = fine_cells(session, indicator, periods, by, today)
    grid = _grid(session, indicator, breakdown, by)
    policy = policy_for(indicator)
    rows: list[Row] = []
    shapes: dict[frozenset[Key], Lines] = {}
    for period in periods:
        if indicator.source == "cohorts" and period.code not in breakdown:
            continue  # not available yet (new early leavers: from 2 October t+1)
        cells = breakdown.get(period.code, {})
        fine = {key: cells.get(key, _empty(indicator)) for key in grid}
        for extra in set(cells) - set(fine):
            fine[extra] = cells[extra]
        full = with_totals(fine, len(by))
        shape = frozenset(full)
        if shape not in shapes:  # every period of a breakdown has the same cells: its lines are computed once
            shapes[shape] = lines_of(full, len(by))
        published = control(full, policy, shapes[shape])
        for key in sorted(published, key=_order):
            cell = published[key]
            rows.append(Row(period, key, cell.value, cell.numerator, cell.denominator, cell.suppressed))
    return rows


def _order(key: Key) -> tuple[Any, ...]:
    # Totals first, then the codes in order.
    return tuple((value != "T001", value) for value in key)


def groups(session: Session, day: date, by: Sequence[str]) -> list[tuple[Key, Any]]:
    """Youths per group on a month-end date (group first in each key), with disclosure control."""
    cells = queries.group_counts(session, day, by)
    axes = [tuple(g for g in GROUPS if g != "none")] + [axis(session, name) for name in by]
    fine = {tuple(key): cells.get(tuple(key), Cell()) for key in product(*axes)}
    settings = get_settings()
    published = control(with_totals(fine, 1 + len(by)), Policy(settings.disclosure_k, settings.rounding_base, "count"))
    return [(key, published[key]) for key in sorted(published, key=_order)]
