# SPDX-License-Identifier: EUPL-1.2
"""SQL that loads youths' state for the rules in a few set-based queries per chunk of youths."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Collection
from datetime import date, timedelta
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from services.core.calendar import Region
from services.core.models import (
    AbsenceWeek,
    Accountability,
    EnrolmentEnd,
    EnrolmentPeriod,
    Episode,
    Fact,
    PartnerBrin,
    Registration,
    Signal,
    YouthProfile,
)
from services.signals.evaluation.repository import among
from services.signals.rules import state as s
from services.signals.rules.weeks import HORIZON

_ONE_DAY = timedelta(days=1)
# Absence weeks read in full: 20 calendar weeks hold the look-back windows and 8 lesweken even across summer.
RECENT_WEEKS = timedelta(days=140)


def _absence_query(session: Session, ids: Collection[uuid.UUID], day: date, share: float) -> Any:
    """The absence weeks the rules can use on `day`: every week of the last RECENT_WEEKS days (windows within
    the look-back, the risk score's 8 lesweken), and further back, up to the rules' horizon, only the weeks
    that can extend a run of fully absent weeks back in time (fully absent, or no lesweek: `scheduledHours`
    0). Leaving out an old week that was not fully absent changes nothing: a week without a report breaks a
    run just as a week with attendance does. Most weeks of most youths are such weeks."""
    week = AbsenceWeek.week_start
    old_but_relevant = or_(
        AbsenceWeek.scheduled_hours == 0,
        # A little below the share: the rule itself compares exactly (see rules/absence.py).
        AbsenceWeek.unauthorized_hours >= AbsenceWeek.scheduled_hours * share - 0.001,
    )
    return select(
        AbsenceWeek.youth_id,
        AbsenceWeek.brin,
        week,
        AbsenceWeek.scheduled_hours,
        AbsenceWeek.unauthorized_hours,
        AbsenceWeek.version,
    ).where(
        among(AbsenceWeek.youth_id, ids, session),
        week <= day,
        week >= day - HORIZON,
        or_(week >= day - RECENT_WEEKS, old_but_relevant),
    )


def _by_youth(rows: Any) -> dict[uuid.UUID, list[Any]]:
    grouped: dict[uuid.UUID, list[Any]] = defaultdict(list)
    for row in rows:
        grouped[row.youth_id].append(row)
    return grouped


def _enrolments(
    session: Session, ids: Collection[uuid.UUID], regions: dict[str, Region], default: Region
) -> dict[uuid.UUID, list[s.EnrolmentPeriod]]:
    """Enrolment states with their inclusive end: the day before the next state of the same enrolment, or
    the enrolment's `education.unenrolled` end date."""
    ends = {
        (r.youth_id, r.source, r.episode_id): r
        for r in session.execute(select(EnrolmentEnd.__table__).where(among(EnrolmentEnd.youth_id, ids, session)))
    }
    periods = session.execute(
        select(EnrolmentPeriod.__table__)
        .where(among(EnrolmentPeriod.youth_id, ids, session))
        .order_by(
            EnrolmentPeriod.youth_id, EnrolmentPeriod.source, EnrolmentPeriod.episode_id, EnrolmentPeriod.start_date
        )
    )
    result: dict[uuid.UUID, list[s.EnrolmentPeriod]] = defaultdict(list)
    grouped: dict[tuple[uuid.UUID, str, str], list[Any]] = defaultdict(list)
    for period in periods:
        grouped[(period.youth_id, period.source, period.episode_id)].append(period)
    for key, states in grouped.items():
        end = ends.get(key)
        for i, period in enumerate(states):
            until: date | None
            if i + 1 < len(states):
                until = states[i + 1].start_date - _ONE_DAY
                end_reason = None
            else:
                until = end.end_date if end is not None else None
                end_reason = end.reason if end is not None else None
            if until is not None and until < period.start_date:
                continue  # an end dated before this state started: the state never held
            refs: list[s.EventRef] = [period.version]
            if end is not None and i + 1 == len(states):
                refs.append(end.version)
            result[key[0]].append(
                s.EnrolmentPeriod(
                    source=period.source,
                    episode_id=period.episode_id,
                    start=period.start_date,
                    end=until,
                    partner_id=period.partner_id,
                    brin=period.brin,
                    region=regions.get(period.brin, default),
                    sector=period.sector,
                    track=period.track,
                    grade=period.grade,
                    final_year=period.final_year,
                    outflow_profile=period.outflow_profile,
                    end_reason=end_reason,
                    refs=tuple(refs),
                )
            )
    return result


def brin_regions(session: Session) -> dict[str, Region]:
    return {row.brin: row.holiday_region for row in session.execute(select(PartnerBrin.__table__))}


def load_states(
    session: Session,
    ids: Collection[uuid.UUID],
    *,
    day: date,
    long_absence_share: float,
    regions: dict[str, Region],
    default_region: Region,
    partner_roles: dict[uuid.UUID, frozenset[str]],
) -> dict[uuid.UUID, s.YouthState]:
    """The state of each youth in `ids` as the rules need it on `day` (every youth gets one, also without
    facts)."""
    ids = list(ids)
    births = {
        row.youth_id: row.birth_date
        for row in session.execute(select(YouthProfile.__table__).where(among(YouthProfile.youth_id, ids, session)))
    }
    registrations = _by_youth(
        session.execute(select(Registration.__table__).where(among(Registration.youth_id, ids, session)))
    )
    absence = _by_youth(session.execute(_absence_query(session, ids, day, long_absence_share)))
    episodes = _by_youth(session.execute(select(Episode.__table__).where(among(Episode.youth_id, ids, session))))
    facts = _by_youth(session.execute(select(Fact.__table__).where(among(Fact.youth_id, ids, session))))
    signals = _by_youth(
        session.execute(
            select(Signal.youth_id, Signal.type, Signal.dedupe_key, Signal.status, Signal.raised_on).where(
                among(Signal.youth_id, ids, session)
            )
        )
    )
    accountable = {
        row.youth_id: row.partner_id
        for row in session.execute(
            select(Accountability.youth_id, Accountability.partner_id).where(
                among(Accountability.youth_id, ids, session), Accountability.until.is_(None)
            )
        )
    }
    enrolments = _enrolments(session, ids, regions, default_region)
    states = {}
    for youth_id in ids:
        partner = accountable.get(youth_id)
        states[youth_id] = s.YouthState(
            youth_id=youth_id,
            birth_date=births.get(youth_id),
            registrations=tuple(
                s.Registration(r.kind == "registered", r.date, r.district_code, r.event_seq, r.version)
                for r in registrations.get(youth_id, ())
            ),
            enrolments=tuple(enrolments.get(youth_id, ())),
            absence=tuple(
                s.AbsenceWeek(
                    a.brin,
                    regions.get(a.brin, default_region),
                    a.week_start,
                    float(a.scheduled_hours),
                    float(a.unauthorized_hours),
                    a.version,
                )
                for a in absence.get(youth_id, ())
            ),
            episodes=tuple(_episode(e) for e in episodes.get(youth_id, ())),
            facts=tuple(
                s.PointFact(f.kind, f.date, f.code, f.partner_id, f.event_seq) for f in facts.get(youth_id, ())
            ),
            signals=tuple(
                s.ExistingSignal(x.type, x.dedupe_key, x.status, x.raised_on) for x in signals.get(youth_id, ())
            ),
            accountable_partner=partner,
            accountable_roles=partner_roles.get(partner, frozenset()) if partner else frozenset(),
        )
    return states


def _episode(row: Any) -> s.Episode:
    refs = tuple(v for v in (row.start_version, row.end_version) if v is not None)
    return s.Episode(
        kind=row.kind,
        source=row.source,
        episode_id=row.episode_id,
        category=row.category,
        start=row.start_date,
        end=row.end_date,
        start_partner_id=row.start_partner_id,
        end_partner_id=row.end_partner_id,
        end_attrs=row.end_attrs,
        end_event_id=row.end_event_id,
        refs=refs,
    )
