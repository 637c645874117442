# SPDX-License-Identifier: EUPL-1.2
"""The reporting refresh: per-youth snapshots at month-ends and the cube summed from them (ADR 0020).

A month-end never computed is computed for every registered youth; a month-end computed before is recomputed
only for the youths whose events, signals or accountability changed since the last refresh (late events change
history: "as of D" counts every event stored now with fact dates on or before D). No commit here: the task or
the caller owns the transaction.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy.orm import Session

from services.core.calendar import add_months_clamped
from services.core.clock import utcnow
from services.core.settings import get_settings
from services.reporting import repository
from services.reporting.periods import last_month_end_before, month_end, month_ends_between
from services.reporting.snapshot import youth_month
from services.signals.evaluation import state_repository
from services.signals.evaluation.service import rule_context

# How far back the refresh computes month-ends by default: three years and the months of the current one.
HISTORY_MONTHS = 48
CHUNK = 500


@dataclass
class RefreshOutcome:
    month_ends: list[date] = field(default_factory=list)
    youth_months: int = 0


@dataclass
class Plan:
    """What one refresh does: per month-end the youths to compute (None: every registered youth), and the marks
    the data had reached when the plan was made."""

    days: list[tuple[date, list[uuid.UUID] | None]]
    upto: repository.Marks


def default_first(today: date) -> date:
    last = last_month_end_before(today)
    first = add_months_clamped(last, -(HISTORY_MONTHS - 1))
    return month_end(first.year, first.month)


def plan(session: Session, today: date, first: date | None = None) -> Plan:
    """The month-ends from `first` to the last one before `today`: those never computed for everyone, the others
    for the youths changed since their own marks whose change is dated on or before them."""
    wanted = month_ends_between(first or default_first(today), last_month_end_before(today))
    computed = repository.computed_month_ends(session)
    upto = repository.current_marks(session)
    changes: dict[repository.Marks, dict[uuid.UUID, date | None]] = {}
    days: list[tuple[date, list[uuid.UUID] | None]] = []
    for day in wanted:
        since = computed.get(day)
        if since is None:
            days.append((day, None))
            continue
        if since not in changes:  # month-ends computed in the same run share their marks: one query for all
            changes[since] = repository.changed_youths(session, since, upto)
        ids = sorted(y for y, affected in changes[since].items() if affected is None or affected <= day)
        if ids:
            days.append((day, ids))
    return Plan(days, upto)


def refresh_month_end(session: Session, day: date, ids: list[uuid.UUID] | None, upto: repository.Marks) -> int:
    """One month-end: its snapshot rows (of `ids`, or of every youth registered by then) and its cube, marked as
    computed up to `upto`."""
    repository.lock_refresh(session)
    if ids is None:
        ids = repository.registered_youths(session, day)
    written = compute_month_end(session, day, ids)
    repository.rebuild_cells(session, day, utcnow(), upto)
    return written


def compute_month_end(session: Session, day: date, ids: list[uuid.UUID]) -> int:
    """Recompute the snapshot rows of `ids` on `day` with the rules' own conditions."""
    settings = get_settings()
    ctx = rule_context(day)
    regions = state_repository.brin_regions(session)
    written = 0
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        states = state_repository.load_states(
            session,
            chunk,
            day=day,
            long_absence_share=settings.long_absence_share,
            regions=regions,
            default_region=settings.holiday_region,
            partner_roles={},
        )
        signals = repository.signal_histories(session, chunk)
        spans = repository.accountability_spans(session, chunk)
        rows = [
            youth_month(state, ctx, signals.get(youth_id, []), spans.get(youth_id, []))
            for youth_id, state in states.items()
            if state.registration_on(day) is not None
        ]
        repository.replace_youth_months(session, day, chunk, rows)
        written += len(rows)
    return written
