# SPDX-License-Identifier: EUPL-1.2
"""SQL of the reporting refresh: what changed, the youths to recompute, the snapshot rows and the cube.

The observation queries are in `queries.py` (the cube), `queries_events.py` (signals, handovers, trajectories,
cohorts) and the measurement SQL in `queries_measurements.py`.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import delete, func, insert, literal, or_, select
from sqlalchemy.orm import Session

from services.core.clock import local_date
from services.core.models import (
    Accountability,
    Event,
    Registration,
    ReportingMonthCell,
    ReportingMonthEnd,
    ReportingYouthMonth,
    Signal,
    SignalChange,
)
from services.reporting.snapshot import AccountabilitySpan, SignalHistory
from services.signals.evaluation.repository import among
from services.signals.rules.catalogue import SIGNAL_TYPES

FLAGS = (
    "target",
    "age_16_26",
    "active",
    "duty_enrolled",
    "out_of_view",
    "thuiszitter",
    "tp_eligible",
    "tp_covered",
    "without_accountable",
)
BANDS = ("district", "age_band", "sector", "group_code")


@dataclass(frozen=True)
class Marks:
    event_seq: int
    signal_change_id: int
    accountability_id: int


def current_marks(session: Session) -> Marks:
    row = session.execute(
        select(
            select(func.coalesce(func.max(Event.seq), 0)).scalar_subquery(),
            select(func.coalesce(func.max(SignalChange.id), 0)).scalar_subquery(),
            select(func.coalesce(func.max(Accountability.id), 0)).scalar_subquery(),
        )
    ).one()
    return Marks(int(row[0]), int(row[1]), int(row[2]))


# The keys of event data that carry the date of the fact (the intake catalogue's aliases).
FACT_DATE_KEYS = ("since", "date", "startDate", "endDate", "weekStart", "from", "to")
# Serialises refreshes of the same month-end on Postgres (beat and the CLI may overlap).
REFRESH_LOCK = 0x5245504F  # "REPO"


def _earliest(first: dict[uuid.UUID, date | None], youth_id: uuid.UUID, day: date | None) -> None:
    """Keep the earliest affected date per youth; None (every month-end) wins."""
    if youth_id in first and first[youth_id] is None:
        return
    current = first.get(youth_id, day)
    first[youth_id] = None if day is None or current is None else min(current, day)


def _fact_date(data: dict[str, Any]) -> date | None:
    days = []
    for key in FACT_DATE_KEYS:
        value = data.get(key)
        if isinstance(value, str) and len(value) == 10:
            try:
                days.append(date.fromisoformat(value))
            except ValueError:
                continue
    return min(days, default=None)


def changed_youths(session: Session, since: Marks, upto: Marks) -> dict[uuid.UUID, date | None]:
    """Youths with an event, a signal change or an accountability row between the two marks, each with the
    earliest date the change can affect (None: every date, e.g. a birth date or a retraction). A fact dated
    after a month-end does not change the state as of that month-end ("as of D"), so those stay as they are."""
    first: dict[uuid.UUID, date | None] = {}
    events = session.execute(
        select(Event.youth_id, Event.type, Event.data, Event.birth_date).where(
            Event.seq > since.event_seq, Event.seq <= upto.event_seq
        )
    )
    for row in events:
        retraction = row.type.endswith("event.retracted")
        day = None if retraction or row.birth_date is not None else _fact_date(row.data or {})
        _earliest(first, row.youth_id, day)
    changes = session.execute(
        select(Signal.youth_id, SignalChange.at)
        .join(SignalChange, SignalChange.signal_id == Signal.id)
        .where(SignalChange.id > since.signal_change_id, SignalChange.id <= upto.signal_change_id)
    )
    for row in changes:
        _earliest(first, row.youth_id, local_date(row.at))
    holders = session.execute(
        select(Accountability.youth_id, Accountability.since).where(
            Accountability.id > since.accountability_id, Accountability.id <= upto.accountability_id
        )
    )
    for row in holders:
        _earliest(first, row.youth_id, local_date(row.since))
    return first


def lock_refresh(session: Session) -> None:
    if session.get_bind().dialect.name == "postgresql":
        session.execute(select(func.pg_advisory_xact_lock(REFRESH_LOCK)))


def registered_youths(session: Session, day: date) -> list[uuid.UUID]:
    """Youths with a registration fact dated on or before `day`: only they can be in the target group."""
    query = select(Registration.youth_id).where(Registration.date <= day).distinct().order_by(Registration.youth_id)
    return list(session.scalars(query))


def computed_month_ends(session: Session) -> dict[date, Marks]:
    """The month-ends computed so far, each with the marks it was computed up to."""
    rows = session.execute(
        select(
            ReportingMonthEnd.month_end,
            ReportingMonthEnd.event_seq,
            ReportingMonthEnd.signal_change_id,
            ReportingMonthEnd.accountability_id,
        )
    )
    return {row.month_end: Marks(row.event_seq, row.signal_change_id, row.accountability_id) for row in rows}


def signal_histories(session: Session, ids: Collection[uuid.UUID]) -> dict[uuid.UUID, list[SignalHistory]]:
    changes: dict[uuid.UUID, list[tuple[date, str]]] = defaultdict(list)
    rows = session.execute(
        select(SignalChange.signal_id, SignalChange.at, SignalChange.status)
        .join(Signal, Signal.id == SignalChange.signal_id)
        .where(among(Signal.youth_id, ids, session), SignalChange.kind == "status")
        .order_by(SignalChange.signal_id, SignalChange.at, SignalChange.id)
    )
    for row in rows:
        changes[row.signal_id].append((local_date(row.at), row.status))
    found: dict[uuid.UUID, list[SignalHistory]] = defaultdict(list)
    signals = session.execute(
        select(Signal.id, Signal.youth_id, Signal.type, Signal.dedupe_key, Signal.raised_on).where(
            among(Signal.youth_id, ids, session)
        )
    )
    for signal in signals:
        severity = SIGNAL_TYPES[signal.type].severity if signal.type in SIGNAL_TYPES else "medium"
        history = SignalHistory(
            signal.type, signal.dedupe_key, severity, signal.raised_on, tuple(changes.get(signal.id, ()))
        )
        found[signal.youth_id].append(history)
    return found


def accountability_spans(session: Session, ids: Collection[uuid.UUID]) -> dict[uuid.UUID, list[AccountabilitySpan]]:
    found: dict[uuid.UUID, list[AccountabilitySpan]] = defaultdict(list)
    rows = session.execute(
        select(Accountability.youth_id, Accountability.partner_id, Accountability.since, Accountability.until).where(
            among(Accountability.youth_id, ids, session)
        )
    )
    for row in rows:
        until = local_date(row.until) if row.until is not None else None
        found[row.youth_id].append(AccountabilitySpan(row.partner_id, local_date(row.since), until))
    return found


def replace_youth_months(session: Session, day: date, ids: Collection[uuid.UUID], rows: list[dict[str, Any]]) -> None:
    if ids:
        session.execute(
            delete(ReportingYouthMonth).where(
                ReportingYouthMonth.month_end == day, among(ReportingYouthMonth.youth_id, ids, session)
            )
        )
    if rows:
        session.execute(insert(ReportingYouthMonth), rows)


def rebuild_cells(session: Session, day: date, at: datetime, marks: Marks) -> None:
    """The cube of `day`, summed in the database from that day's snapshot, and `day` marked as computed up to
    `marks`."""
    session.execute(delete(ReportingMonthCell).where(ReportingMonthCell.month_end == day))
    source = ReportingYouthMonth
    bands = [getattr(source, name) for name in BANDS]
    summed = select(
        literal(day).label("month_end"), *bands, *[func.sum(getattr(source, flag)).label(flag) for flag in FLAGS]
    ).where(source.month_end == day, or_(source.target == 1, source.without_accountable == 1))
    session.execute(insert(ReportingMonthCell).from_select(["month_end", *BANDS, *FLAGS], summed.group_by(*bands)))
    session.execute(delete(ReportingMonthEnd).where(ReportingMonthEnd.month_end == day))
    session.execute(
        insert(ReportingMonthEnd).values(
            month_end=day,
            refreshed_at=at,
            event_seq=marks.event_seq,
            signal_change_id=marks.signal_change_id,
            accountability_id=marks.accountability_id,
        )
    )
