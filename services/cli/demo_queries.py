# SPDX-License-Identifier: EUPL-1.2
"""The demo's reads of the stored events and the projected state (the CLI's repository module: ORM only)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import distinct, func, select
from sqlalchemy.orm import Session

from services.core.db import transaction
from services.core.models import AbsenceWeek, EnrolmentPeriod, Episode, Event, Fact, Registration, Youth


@dataclass(frozen=True)
class ProjectionCounts:
    events: int
    youths: int
    registered: int
    enrolled: int
    absence_weeks: int
    episodes: dict[str, int]
    facts: dict[str, int]


def _count(session: Session, model: type[object]) -> int:
    return int(session.scalar(select(func.count()).select_from(model)) or 0)


def _per_kind(session: Session, model: type[Episode] | type[Fact]) -> dict[str, int]:
    rows = session.execute(select(model.kind, func.count()).group_by(model.kind).order_by(model.kind))
    return {kind: int(count) for kind, count in rows}


def projection_counts() -> ProjectionCounts:
    """What the intake stored and projected: events, youths and their state, counted in one read."""
    with transaction(read_only=True) as session:
        registered = session.scalar(
            select(func.count(distinct(Registration.youth_id))).where(Registration.kind == "registered")
        )
        enrolled = session.scalar(select(func.count(distinct(EnrolmentPeriod.youth_id))))
        return ProjectionCounts(
            events=_count(session, Event),
            youths=_count(session, Youth),
            registered=int(registered or 0),
            enrolled=int(enrolled or 0),
            absence_weeks=_count(session, AbsenceWeek),
            episodes=_per_kind(session, Episode),
            facts=_per_kind(session, Fact),
        )
