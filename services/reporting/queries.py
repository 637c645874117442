# SPDX-License-Identifier: EUPL-1.2
"""SQL of the observations over the cube (`reporting_month_cells`), and the helpers the other queries share.

Every query aggregates in the database and returns one row per period and combination of dimension values;
Python only adds the marginal totals and applies disclosure control to those few rows.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import ColumnElement, String, cast, func, literal, select, union_all
from sqlalchemy.orm import Session

from services.core.clock import AMSTERDAM
from services.core.models import Partner, ReportingMonthCell, ReportingMonthEnd
from services.core.models.base import Timestamp
from services.reporting.disclosure import Cell, Key
from services.reporting.periods import Period

Breakdown = dict[str, dict[Key, Cell]]  # period code -> fine cells by dimension values

CUBE_COLUMNS = {"district": "district", "ageBand": "age_band", "sector": "sector", "group": "group_code"}
# indicator code -> (numerator, denominator, only youths in a group)
CUBE_MEASURES: dict[str, tuple[str, str | None, bool]] = {
    "youths-per-group": ("target", None, True),
    "thuiszitters": ("thuiszitter", None, False),
    "out-of-view": ("out_of_view", None, False),
    "youths-without-accountable": ("without_accountable", None, False),
    "participation-rate": ("active", "age_16_26", False),
    "neet-rate": ("neet", "age_16_26", False),
    "transition-plan-coverage": ("tp_covered", "tp_eligible", False),
    "absence-16h-rate": ("", "duty_enrolled", False),
}


def moment(day: date) -> datetime:
    """The UTC instant at which `day` starts in Amsterdam (dates are Amsterdam dates, time stamps UTC). Aware,
    so that Postgres never reads it in the session's time zone; SQLite stores UTC text without the zone."""
    return datetime.combine(day, time(0), AMSTERDAM).astimezone(UTC)


def periods_table(periods: Sequence[Period]) -> Any:
    """The periods as a derived table: code, first and last day, and the UTC instants they span."""
    rows = [
        select(
            cast(literal(p.code), String).label("code"),
            literal(p.start).label("first_day"),
            literal(p.end).label("last_day"),
            literal(moment(p.start), Timestamp).label("start_at"),
            literal(moment(p.end + timedelta(days=1)), Timestamp).label("end_at"),
        )
        for p in periods
    ]
    return (union_all(*rows) if len(rows) > 1 else rows[0]).subquery("periods")


def computed_month_ends(session: Session, days: Sequence[date]) -> set[date]:
    if not days:
        return set()
    return set(session.scalars(select(ReportingMonthEnd.month_end).where(ReportingMonthEnd.month_end.in_(days))))


def _flag(name: str) -> ColumnElement[Any]:
    if name == "neet":
        return func.sum(ReportingMonthCell.age_16_26) - func.sum(ReportingMonthCell.active)
    return func.sum(getattr(ReportingMonthCell, name))


def cube(session: Session, code: str, periods: Sequence[Period], dims: Sequence[str]) -> Breakdown:
    """Fine cells of a cube indicator: one row per month-end (each period's last day) and dimension values."""
    numerator, denominator, grouped_only = CUBE_MEASURES[code]
    by_end = {p.end: p.code for p in periods}
    columns = [getattr(ReportingMonthCell, CUBE_COLUMNS[d]) for d in dims]
    measures = [
        _flag(numerator).label("num") if numerator else literal(0).label("num"),
        (_flag(denominator) if denominator else literal(None)).label("den"),
    ]
    query = (
        select(ReportingMonthCell.month_end, *columns, *measures)
        .where(ReportingMonthCell.month_end.in_(list(by_end)))
        .group_by(ReportingMonthCell.month_end, *columns)
    )
    if grouped_only:
        query = query.where(ReportingMonthCell.group_code != "none")
    found: Breakdown = defaultdict(dict)
    for row in session.execute(query):
        key = tuple(str(v) for v in row[1 : 1 + len(dims)])
        den = row.den
        found[by_end[row.month_end]][key] = Cell(int(row.num or 0), None if den is None else int(den))
    return found


def group_counts(session: Session, day: date, dims: Sequence[str]) -> dict[Key, Cell]:
    """Youths of the target group per group on a month-end date, broken down by `dims` (group first)."""
    columns = [getattr(ReportingMonthCell, CUBE_COLUMNS[d]) for d in ("group", *dims)]
    query = (
        select(*columns, func.sum(ReportingMonthCell.target).label("num"))
        .where(ReportingMonthCell.month_end == day, ReportingMonthCell.group_code != "none")
        .group_by(*columns)
    )
    return {tuple(str(v) for v in row[: len(columns)]): Cell(int(row.num or 0)) for row in session.execute(query)}


def districts(session: Session) -> list[str]:
    """The district codes the cube holds (with `unknown` when a youth had none)."""
    query = select(ReportingMonthCell.district).distinct().order_by(ReportingMonthCell.district)
    return list(session.scalars(query))


def partner_ids(session: Session) -> list[str]:
    """Every partner, first registered first: the values of the `partner` dimension."""
    return [str(i) for i in session.scalars(select(Partner.id).order_by(Partner.created_at, Partner.id))]
