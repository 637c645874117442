# SPDX-License-Identifier: EUPL-1.2
"""SQL of the signal and handover indicators: counted per period in the database.

A youth's district, age band and sector come from its snapshot on the period's last day (a left join: a youth
no longer registered counts as `unknown`). Medians need the single durations, so their queries return one
working-day span per signal or handover of the period (grouped by its dimension values), never a youth.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import Date, String, and_, case, cast, exists, func, literal, select
from sqlalchemy.orm import Session

from services.core.calendar import working_days_between
from services.core.models import Handover, ReportingYouthMonth, Signal, SignalChange
from services.reporting.disclosure import Cell
from services.reporting.periods import Period
from services.reporting.queries import Breakdown, periods_table

CLOSED = ("resolved", "dismissed")


def local_day(session: Session, column: Any) -> Any:
    """The Amsterdam date of a UTC time stamp. SQLite has no time zones: the offset is taken by season
    (CET, CEST from April to September), exact except on the nights the clocks change."""
    if session.get_bind().dialect.name == "postgresql":
        return cast(func.timezone("Europe/Amsterdam", column), Date)
    month = cast(func.strftime("%m", column), String)
    offset = case((month.between("04", "09"), "+2 hours"), else_="+1 hour")
    return func.date(column, offset)


def youth_dimension(name: str, snapshot: Any) -> Any:
    column = {"district": snapshot.district, "ageBand": snapshot.age_band, "sector": snapshot.sector}[name]
    return func.coalesce(column, "none" if name == "sector" else "unknown")


def signal_dimension(name: str, snapshot: Any) -> Any:
    if name == "signalType":
        return Signal.type
    if name == "partner":
        return cast(Signal.routed_to, String)
    return youth_dimension(name, snapshot)


def _collect(rows: Any, width: int) -> Breakdown:
    found: Breakdown = defaultdict(dict)
    for row in rows:
        key = tuple(str(v) for v in row[1 : 1 + width])
        found[row[0]][key] = Cell(int(row.num or 0), None if row.den is None else int(row.den))
    return found


def signal_counts(session: Session, code: str, periods: Sequence[Period], dims: Sequence[str]) -> Breakdown:
    """signals-raised, signals-open, escalations, acknowledged-in-time, and absence-16h-rate's numerator."""
    p = periods_table(periods)
    ym = ReportingYouthMonth.__table__.alias("ym")
    columns = [signal_dimension(d, ym.c) for d in dims]
    den: Any = literal(None)
    num: Any = func.count()
    condition: Any
    if code in ("signals-raised", "absence-16h-rate"):
        condition = Signal.raised_on.between(p.c.first_day, p.c.last_day)
    elif code == "signals-open":
        closed = exists().where(
            SignalChange.signal_id == Signal.id,
            SignalChange.kind == "status",
            SignalChange.status.in_(CLOSED),
            SignalChange.at < p.c.end_at,
        )
        condition = and_(Signal.raised_on <= p.c.last_day, ~closed)
    elif code == "escalations":
        condition = and_(Signal.escalated_at >= p.c.start_at, Signal.escalated_at < p.c.end_at)
    else:  # acknowledged-in-time
        condition = Signal.deadline.between(p.c.first_day, p.c.last_day)
        in_time = and_(
            Signal.acknowledged_at.is_not(None), local_day(session, Signal.acknowledged_at) <= Signal.deadline
        )
        num, den = func.sum(case((in_time, 1), else_=0)), func.count()
    if code == "absence-16h-rate":
        condition = and_(condition, Signal.type == "absence-16h")
    query = (
        select(p.c.code, *columns, num.label("num"), den.label("den"))
        .select_from(p)
        .join(Signal, condition)
        .outerjoin(ym, and_(ym.c.youth_id == Signal.youth_id, ym.c.month_end == p.c.last_day))
        .group_by(p.c.code, *columns)
    )
    return _collect(session.execute(query), len(dims))


def acknowledge_spans(session: Session, periods: Sequence[Period], dims: Sequence[str]) -> Breakdown:
    """time-to-acknowledge: working days from raised to acknowledged, per signal acknowledged in the period."""
    p = periods_table(periods)
    acknowledged_on = local_day(session, Signal.acknowledged_at)
    columns = [signal_dimension(d, None) for d in dims]
    query = (
        select(p.c.code, *columns, Signal.raised_on, acknowledged_on.label("on"), func.count().label("n"))
        .select_from(p)
        .join(Signal, and_(Signal.acknowledged_at >= p.c.start_at, Signal.acknowledged_at < p.c.end_at))
        .group_by(p.c.code, *columns, Signal.raised_on, acknowledged_on)
    )
    return _spans(session.execute(query), len(dims), "raised_on")


def handover_spans(session: Session, periods: Sequence[Period], dims: Sequence[str]) -> Breakdown:
    """handover-time: working days from requested to accepted, per handover accepted in the period."""
    p = periods_table(periods)
    requested_on = local_day(session, Handover.requested_at).label("requested_on")
    accepted_on = local_day(session, Handover.answered_at).label("on")
    columns = [cast(Handover.to_partner_id, String) for _ in dims]
    query = (
        select(p.c.code, *columns, requested_on, accepted_on, func.count().label("n"))
        .select_from(p)
        .join(
            Handover,
            and_(
                Handover.status == "accepted",
                Handover.answered_at >= p.c.start_at,
                Handover.answered_at < p.c.end_at,
            ),
        )
        .group_by(p.c.code, *columns, requested_on, accepted_on)
    )
    return _spans(session.execute(query), len(dims), "requested_on")


def _spans(rows: Any, width: int, start: str) -> Breakdown:
    found: Breakdown = defaultdict(dict)
    for row in rows:
        key = tuple(str(v) for v in row[1 : 1 + width])
        first, last = _as_date(getattr(row, start)), _as_date(row.on)
        days = float(working_days_between(first, last))
        cell = found[row[0]].setdefault(key, Cell(values=[]))
        cell.values = [*(cell.values or []), *([days] * int(row.n))]
    return found


def _as_date(value: Any) -> date:
    # SQLite's date() answers text.
    return value if isinstance(value, date) else date.fromisoformat(str(value))
