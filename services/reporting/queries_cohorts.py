# SPDX-License-Identifier: EUPL-1.2
"""SQL of the trajectory and cohort indicators, over the projected state and counted in the database.

"Enrolled on X" is read from the enrolment states: an enrolment is active on X when one of its states started
on or before X and its `education.unenrolled` end date, if any, is on or after X (end dates are inclusive).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import and_, case, exists, func, not_, or_, select
from sqlalchemy.orm import Session, aliased

from services.core.calendar import SchoolYear
from services.core.models import (
    EnrolmentEnd,
    EnrolmentPeriod,
    Episode,
    Fact,
    Registration,
    ReportingYouthMonth,
    Signal,
    YouthProfile,
)
from services.reporting.disclosure import Cell
from services.reporting.periods import Period, same_period_a_year_earlier
from services.reporting.queries import Breakdown
from services.reporting.queries_events import youth_dimension
from services.signals.rules.state import HIGHER_EDUCATION, STARTKWALIFICATIE_LEVELS

SUCCESS = ("education", "work", "education-and-work")
EARLY_LEAVER_SECTORS = ("vo", "pro", "vso", "vavo", "mbo")
VMBO_TRACKS = ("vmbo-bb", "vmbo-kb", "vmbo-gt")


def plus_months(session: Session, column: Any, months: int) -> Any:
    """`column` + months, clamped to the month's last day (SQLite: a 29 February moves to 28 February)."""
    if session.get_bind().dialect.name == "postgresql":
        return func.cast(column + func.make_interval(0, months), EnrolmentPeriod.start_date.type)
    shifted = func.date(column, f"+{months} months")
    overflow = func.strftime("%d", shifted) != func.strftime("%d", column)
    return case((overflow, func.date(shifted, "start of month", "-1 day")), else_=shifted)


def enrolled_on(youth: Any, day: Any) -> Any:
    period, end = aliased(EnrolmentPeriod), aliased(EnrolmentEnd)
    ended = exists().where(
        end.youth_id == period.youth_id,
        end.source == period.source,
        end.episode_id == period.episode_id,
        end.end_date < day,
    )
    return exists().where(period.youth_id == youth, period.start_date <= day, ~ended)


def employed_on(youth: Any, day: Any) -> Any:
    job = aliased(Episode)
    return exists().where(
        job.youth_id == youth,
        job.kind == "employment",
        job.start_date <= day,
        or_(job.end_date.is_(None), job.end_date >= day),
    )


def registered_on(youth: Any, day: date) -> Any:
    """The latest registration fact dated on or before `day` is a registration (ADR 0010)."""
    r, later = aliased(Registration), aliased(Registration)
    deregistered_after = exists().where(
        later.youth_id == r.youth_id,
        later.kind == "deregistered",
        later.date <= day,
        or_(later.date > r.date, and_(later.date == r.date, later.version > r.version)),
    )
    return exists().where(r.youth_id == youth, r.kind == "registered", r.date <= day, ~deregistered_after)


def _breakdown(session: Session, query: Any, width: int) -> dict[tuple[str, ...], Cell]:
    return {
        tuple(str(v) for v in row[:width]): Cell(int(row.num or 0), int(row.den or 0)) for row in session.execute(query)
    }


def trajectories(session: Session, code: str, periods: Sequence[Period], dims: Sequence[str]) -> Breakdown:
    """trajectory-success over the period; sustained-12-months and relapse-rate over the successful
    trajectories ended in the same-length period 12 months earlier."""
    found: Breakdown = {}
    outcome = Episode.end_attrs["outcome"].as_string()
    for period in periods:
        ym = aliased(ReportingYouthMonth)
        columns = [youth_dimension(d, ym) for d in dims]
        if code == "trajectory-success":
            first, last = period.start, period.end
            num = func.sum(case((outcome.in_(SUCCESS), 1), else_=0))
            where = [Episode.end_date.between(first, last)]
        else:
            first, last = same_period_a_year_earlier(period)
            where = [Episode.end_date.between(first, last), outcome.in_(SUCCESS)]
            if code == "sustained-12-months":
                later = plus_months(session, Episode.end_date, 12)
                kept = or_(enrolled_on(Episode.youth_id, later), employed_on(Episode.youth_id, later))
            else:
                kept = exists().where(
                    Signal.youth_id == Episode.youth_id,
                    Signal.type == "relapse",
                    Signal.dedupe_key == Episode.end_event_id,
                )
            num = func.sum(case((kept, 1), else_=0))
        query = (
            select(*columns, num.label("num"), func.count().label("den"))
            .select_from(Episode)
            .outerjoin(ym, and_(ym.youth_id == Episode.youth_id, ym.month_end == period.end))
            .where(Episode.kind == "trajectory", *where)
            .group_by(*columns)
        )
        found[period.code] = _breakdown(session, query, len(dims))
    return found


def _has_startkwalificatie(youth: Any, day: date) -> Any:
    diploma = exists().where(
        Fact.youth_id == youth,
        Fact.kind == "qualification",
        Fact.code.in_(sorted(STARTKWALIFICATIE_LEVELS)),
        Fact.date <= day,
    )
    higher = aliased(EnrolmentPeriod)
    enrolled_higher = exists().where(
        higher.youth_id == youth, higher.sector.in_(sorted(HIGHER_EDUCATION)), higher.start_date <= day
    )
    return or_(diploma, enrolled_higher)


def _state_on(day: date) -> Any:
    """The enrolment states active on `day`: started on or before it, no later state of the same enrolment
    started by then, and the enrolment not ended before it."""
    newer = aliased(EnrolmentPeriod)
    superseded = exists().where(
        newer.youth_id == EnrolmentPeriod.youth_id,
        newer.source == EnrolmentPeriod.source,
        newer.episode_id == EnrolmentPeriod.episode_id,
        newer.start_date > EnrolmentPeriod.start_date,
        newer.start_date <= day,
    )
    ended = exists().where(
        EnrolmentEnd.youth_id == EnrolmentPeriod.youth_id,
        EnrolmentEnd.source == EnrolmentPeriod.source,
        EnrolmentEnd.episode_id == EnrolmentPeriod.episode_id,
        EnrolmentEnd.end_date < day,
    )
    return and_(EnrolmentPeriod.start_date <= day, ~superseded, ~ended)


def cohorts(session: Session, code: str, periods: Sequence[Period], dims: Sequence[str], today: date) -> Breakdown:
    """new-early-leavers (1 October t and t+1; from 2 October t+1) and mbo-applied-by-april (1 April t+1)."""
    found: Breakdown = {}
    for period in periods:
        year = SchoolYear(period.start.year)
        if code == "new-early-leavers" and today < date(year.start_year + 1, 10, 2):
            continue  # not available yet: the second peildatum has not passed
        ym = aliased(ReportingYouthMonth)
        columns = [youth_dimension(d, ym) for d in dims]
        build = early_leavers if code == "new-early-leavers" else mbo_applied
        query = build(year, columns, ym, period.end)
        found[period.code] = _breakdown(session, query.group_by(*columns), len(dims))
    return found


def early_leavers(year: SchoolYear, columns: list[Any], ym: Any, period_end: date) -> Any:
    first, second = date(year.start_year, 10, 1), date(year.start_year + 1, 10, 1)
    # Under 23 on 1 October t: born after 1 October t-23 (a known birth date is needed to be counted).
    born_after = date(year.start_year - 23, 10, 1)
    youth = EnrolmentPeriod.youth_id
    left_the_municipality = exists().where(
        Registration.youth_id == youth,
        Registration.kind == "deregistered",
        Registration.date > first,
        Registration.date < second,
    )
    leaver = and_(not_(enrolled_on(youth, second)), not_(_has_startkwalificatie(youth, second)))
    return (
        select(
            *columns,
            func.count(func.distinct(case((leaver, youth)))).label("num"),
            func.count(func.distinct(youth)).label("den"),
        )
        .select_from(EnrolmentPeriod)
        .outerjoin(ym, and_(ym.youth_id == youth, ym.month_end == period_end))
        .where(
            _state_on(first),
            EnrolmentPeriod.sector.in_(EARLY_LEAVER_SECTORS),
            exists().where(YouthProfile.youth_id == youth, YouthProfile.birth_date > born_after),
            registered_on(youth, first),
            ~left_the_municipality,
        )
    )


def mbo_applied(year: SchoolYear, columns: list[Any], ym: Any, period_end: date) -> Any:
    peildatum = date(year.start_year + 1, 4, 1)
    youth = EnrolmentPeriod.youth_id
    final_year = and_(
        EnrolmentPeriod.final_year.is_(True),
        or_(
            and_(EnrolmentPeriod.sector == "vo", EnrolmentPeriod.track.in_(VMBO_TRACKS)),
            and_(EnrolmentPeriod.sector.in_(("pro", "vso")), EnrolmentPeriod.outflow_profile == "vervolgonderwijs"),
        ),
    )
    applied = exists().where(
        Fact.youth_id == youth, Fact.kind == "mbo-application", Fact.date.between(year.start, peildatum)
    )
    return (
        select(
            *columns,
            func.count(func.distinct(case((applied, youth)))).label("num"),
            func.count(func.distinct(youth)).label("den"),
        )
        .select_from(EnrolmentPeriod)
        .outerjoin(ym, and_(ym.youth_id == youth, ym.month_end == period_end))
        .where(_state_on(peildatum), final_year, registered_on(youth, peildatum))
    )
