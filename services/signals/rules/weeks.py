# SPDX-License-Identifier: EUPL-1.2
"""A youth's lesweken at one school, with the hours the school reported: the ground of the absence rules."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from typing import cast

from services.core.calendar import Region, is_lesweek, monday_of
from services.signals.rules.state import AbsenceWeek, EnrolmentPeriod, YouthState

WEEK = timedelta(days=7)
# How far back the absence rules look: a thuiszitter run can last a school year, and the risk score needs
# 8 lesweken; older weeks only feed reporting.
HORIZON = timedelta(days=400)


@dataclass(frozen=True)
class Lesweek:
    monday: date
    report: AbsenceWeek | None

    @property
    def unauthorized(self) -> float:
        return self.report.unauthorized if self.report else 0.0

    @property
    def last_day(self) -> date:
        return self.monday + timedelta(days=6)


def _sector_on(periods: list[EnrolmentPeriod], monday: date) -> str | None:
    """The sector of the enrolment at this school on `monday` (mbo has its own calendar), else its latest."""
    for period in periods:
        if period.active_on(monday):
            return period.sector
    return max(periods, key=lambda e: e.start).sector if periods else None


def lesweek_runs(state: YouthState, day: date) -> dict[str, list[list[Lesweek]]]:
    """`_lesweek_runs`, computed once per state and day: three absence rules and the risk score all need it."""
    key = ("lesweek_runs", day)
    if key not in state.memo:
        state.memo[key] = _lesweek_runs(state, day)
    return cast(dict[str, list[list[Lesweek]]], state.memo[key])


def _lesweek_runs(state: YouthState, day: date) -> dict[str, list[list[Lesweek]]]:
    """Per BRIN the lesweken from its first report up to the week of `day`, split where the holiday data ends.

    Each inner list is a sequence of consecutive lesweken: weeks that are no lesweek (a holiday week in the
    school's region, except for mbo; or `scheduledHours` 0) are skipped, so the weeks before and after them
    are consecutive (domain.md, "Lesweek"). A week the shipped holiday data cannot decide splits the
    sequence, because lesweek-based rules do not fire beyond the data.
    """
    reports: dict[str, dict[date, AbsenceWeek]] = defaultdict(dict)
    for report in state.absence:
        if report.week <= day and report.week >= day - HORIZON:
            reports[report.brin][report.week] = report
    last = monday_of(day)
    result: dict[str, list[list[Lesweek]]] = {}
    for brin, by_week in reports.items():
        region: Region = next(iter(by_week.values())).region
        periods = [e for e in state.enrolments if e.brin == brin]
        sequences: list[list[Lesweek]] = [[]]
        week = min(by_week)
        while week <= last:
            reported = by_week.get(week)
            verdict = is_lesweek(week, region, reported.scheduled if reported else None, _sector_on(periods, week))
            if verdict is None:
                if sequences[-1]:
                    sequences.append([])
            elif verdict:
                sequences[-1].append(Lesweek(week, reported))
            week += WEEK
        result[brin] = [s for s in sequences if s]
    return result


def week_facts(weeks: list[Lesweek]) -> list[dict[str, object]]:
    """The hours per week, as a reason's facts: enough to check the rule by hand."""
    return [
        {
            "weekStart": w.monday.isoformat(),
            "scheduledHours": w.report.scheduled if w.report else None,
            "unauthorizedHours": w.unauthorized,
        }
        for w in weeks
    ]
