# SPDX-License-Identifier: EUPL-1.2
"""School holidays and lesweken (spec/domain.md, "Lesweek").

A lesweek for an enrolment is a week (Monday start) unless Monday to Friday all fall in the school holidays of
the school's region, or the school reported `scheduledHours` = 0 for it; for mbo only the latter applies (mbo
institutions set their own calendars). Public holidays inside a week do not make it a non-lesweek. The official
holiday dates ship as data (`services/core/data/school_holidays.json`, with their Rijksoverheid sources); for
weeks outside that data the answer is None ("unknown") and lesweek-based rules must not fire.

"4 consecutive lesweken" means 4 weeks that follow each other in the sequence of lesweken, skipping
non-lesweken: a holiday week between two lesweken leaves them consecutive.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache
from importlib import resources
from typing import Any, Literal, cast, get_args

__all__ = [
    "REGIONS",
    "CalendarDataMissing",
    "Region",
    "SchoolHoliday",
    "are_consecutive_lesweken",
    "coverage",
    "data_covers",
    "default_region",
    "holiday_on",
    "is_holiday_week",
    "is_lesweek",
    "lesweek_sequence",
    "lesweek_windows",
    "lesweken_between",
    "monday_of",
    "next_lesweek",
    "previous_lesweek",
    "school_holidays",
]

Region = Literal["noord", "midden", "zuid"]
REGIONS: tuple[Region, ...] = get_args(Region)
# How far previous_lesweek/next_lesweek look before giving up (longer than any holiday).
_MAX_SKIP_WEEKS = 12
_WEEK = timedelta(days=7)


class CalendarDataMissing(ValueError):
    """A week lies outside the shipped school holiday data, so whether it is a lesweek is unknown."""


@dataclass(frozen=True, slots=True)
class SchoolHoliday:
    """One school holiday for one region; `start` and `end` are inclusive."""

    name: str
    region: Region
    start: date
    end: date
    school_year: str
    verified: bool
    source_url: str

    def contains(self, day: date) -> bool:
        return self.start <= day <= self.end


@dataclass(frozen=True, slots=True)
class _Data:
    holidays: dict[Region, tuple[SchoolHoliday, ...]]
    coverage: dict[Region, tuple[date, date]]


def _load_json() -> dict[str, Any]:
    text = resources.files("services.core").joinpath("data/school_holidays.json").read_text(encoding="utf-8")
    return cast(dict[str, Any], json.loads(text))


@lru_cache(maxsize=1)
def _data() -> _Data:
    raw = _load_json()
    start = date.fromisoformat(raw["coverage"]["start"])
    by_region: dict[Region, list[SchoolHoliday]] = {region: [] for region in REGIONS}
    for year in raw["schoolYears"]:
        for entry in year["holidays"]:
            for region in entry["regions"]:
                if region not in by_region:
                    raise ValueError(f"unknown holiday region {region!r} in school_holidays.json")
                by_region[region].append(
                    SchoolHoliday(
                        name=entry["name"],
                        region=region,
                        start=date.fromisoformat(entry["start"]),
                        end=date.fromisoformat(entry["end"]),
                        school_year=year["schoolYear"],
                        verified=bool(entry["verified"]),
                        source_url=year["source"]["url"],
                    )
                )
    holidays = {region: tuple(sorted(items, key=lambda h: h.start)) for region, items in by_region.items()}
    # Covered up to the end of each region's last zomervakantie: after it the next school year's dates are unknown.
    coverage = {
        region: (start, max(h.end for h in items if h.name == "zomervakantie")) for region, items in holidays.items()
    }
    return _Data(holidays=holidays, coverage=coverage)


def default_region() -> Region:
    """`GLANSRIJK_HOLIDAY_REGION` (default "midden", which holds all of Zuid-Holland): for schools without a
    known region and youths who are not enrolled (spec/domain.md, "Lesweek"). Reads settings, so call it at the
    entry point and pass the region down."""
    from services.core.settings import get_settings

    return get_settings().holiday_region


def school_holidays(region: Region) -> tuple[SchoolHoliday, ...]:
    """The shipped school holidays of `region`, in date order."""
    return _data().holidays[region]


def coverage(region: Region) -> tuple[date, date]:
    """The first and last day (inclusive) for which the shipped data decides holiday or not in `region`."""
    return _data().coverage[region]


def data_covers(day: date, region: Region | None = None) -> bool:
    """True when the shipped school holiday data covers `day` for `region` (for every region when None).

    `scan` warns for evaluation dates outside it (spec/domain.md, "Lesweek").
    """
    regions = REGIONS if region is None else (region,)
    return all(coverage(r)[0] <= day <= coverage(r)[1] for r in regions)


def holiday_on(day: date, region: Region) -> SchoolHoliday | None:
    """The school holiday of `region` that holds `day`, if any (None also outside the data: see `data_covers`)."""
    for holiday in school_holidays(region):
        if holiday.contains(day):
            return holiday
    return None


def monday_of(d: date) -> date:
    """The Monday of the (ISO) week that holds `d`."""
    return d - timedelta(days=d.weekday())


def is_holiday_week(monday: date, region: Region) -> bool | None:
    """True when Monday to Friday of the week all fall in the school holidays of `region`; None when a day of
    it lies outside the shipped data. `monday` may be any day of the week. Public holidays do not count.

    Source: spec/domain.md, "Lesweek"; dates: Rijksoverheid, "Schoolvakanties <school year>" (see the JSON).
    """
    return _is_holiday_week(monday_of(monday), region)


# The daily scan asks this for the same few hundred weeks hundreds of thousands of times; the data is fixed.
@lru_cache(maxsize=8192)
def _is_holiday_week(start: date, region: Region) -> bool | None:
    weekdays = [start + timedelta(days=i) for i in range(5)]
    if not all(data_covers(day, region) for day in weekdays):
        return None
    return all(holiday_on(day, region) is not None for day in weekdays)


def is_lesweek(
    monday: date, region: Region, scheduled_hours: float | None = None, sector: str | None = None
) -> bool | None:
    """Whether the week of `monday` is a lesweek for an enrolment in `sector` at a school in `region`.

    Not a lesweek when the school reported `scheduled_hours` == 0 (any sector), or, except for mbo, when Monday
    to Friday all fall in the region's school holidays. `scheduled_hours` None means "not reported".
    None when the week lies outside the shipped holiday data (also for mbo, whose own calendar ignores these
    dates: spec/domain.md says lesweek-based rules do not fire beyond the data), unless scheduled_hours == 0.
    Source: spec/domain.md, "Lesweek".
    """
    if scheduled_hours is not None and scheduled_hours == 0:
        return False
    holiday = is_holiday_week(monday, region)
    if holiday is None:
        return None
    if sector == "mbo":
        return True
    return not holiday


def _weeks(start_monday: date, end_monday: date) -> Iterator[date]:
    week = monday_of(start_monday)
    last = monday_of(end_monday)
    while week <= last:
        yield week
        week += _WEEK


def _test_for(
    region: Region, sector: str | None, scheduled_hours: Mapping[date, float] | None
) -> Callable[[date], bool | None]:
    hours = scheduled_hours or {}
    return lambda week: is_lesweek(week, region, hours.get(week), sector)


def lesweken_between(
    start_monday: date,
    end_monday: date,
    region: Region,
    sector: str | None = None,
    scheduled_hours: Mapping[date, float] | None = None,
) -> list[date] | None:
    """The Mondays of the lesweken from the week of `start_monday` through the week of `end_monday`, in order,
    for an enrolment in `sector` with the weekly `scheduled_hours` the school reported (keyed by Monday; a
    missing week means "not reported"). None when any week in the range is undetermined (outside the data)."""
    test = _test_for(region, sector, scheduled_hours)
    result = []
    for week in _weeks(start_monday, end_monday):
        verdict = test(week)
        if verdict is None:
            return None
        if verdict:
            result.append(week)
    return result


def lesweek_sequence(start_monday: date, end_monday: date, region: Region) -> list[date]:
    """The Mondays of the weeks from `start_monday` through `end_monday` that are not school holiday weeks in
    `region` (no enrolment-specific scheduled hours). Raises CalendarDataMissing when a week of the range lies
    outside the shipped data; check `data_covers` first. Source: spec/domain.md, "Lesweek"."""
    result = lesweken_between(start_monday, end_monday, region)
    if result is None:
        raise CalendarDataMissing(f"no school holiday data for {region} between {start_monday} and {end_monday}")
    return result


def previous_lesweek(
    monday: date,
    region: Region,
    sector: str | None = None,
    scheduled_hours: Mapping[date, float] | None = None,
) -> date | None:
    """The Monday of the last lesweek before the week of `monday` (skipping non-lesweken), or None when that is
    undetermined (outside the data) or not found within 12 weeks."""
    return _step(monday, region, sector, scheduled_hours, -_WEEK)


def next_lesweek(
    monday: date,
    region: Region,
    sector: str | None = None,
    scheduled_hours: Mapping[date, float] | None = None,
) -> date | None:
    """The Monday of the first lesweek after the week of `monday`; None as for `previous_lesweek`."""
    return _step(monday, region, sector, scheduled_hours, _WEEK)


def _step(
    monday: date,
    region: Region,
    sector: str | None,
    scheduled_hours: Mapping[date, float] | None,
    step: timedelta,
) -> date | None:
    test = _test_for(region, sector, scheduled_hours)
    week = monday_of(monday)
    for _ in range(_MAX_SKIP_WEEKS):
        week += step
        verdict = test(week)
        if verdict is None:
            return None
        if verdict:
            return week
    return None


def are_consecutive_lesweken(
    mondays: Sequence[date],
    region: Region,
    sector: str | None = None,
    scheduled_hours: Mapping[date, float] | None = None,
) -> bool | None:
    """True when `mondays` are lesweken that follow each other in the sequence of lesweken (non-lesweken in
    between are skipped); None when a week involved is undetermined. An empty or single-week list is trivially
    consecutive if its week is a lesweek."""
    weeks = [monday_of(m) for m in mondays]
    if not weeks:
        return True
    between = lesweken_between(weeks[0], weeks[-1], region, sector, scheduled_hours)
    if between is None:
        return None
    return between == weeks


def lesweek_windows(
    start_monday: date,
    end_monday: date,
    region: Region,
    size: int,
    sector: str | None = None,
    scheduled_hours: Mapping[date, float] | None = None,
) -> list[tuple[date, ...]] | None:
    """All windows of `size` consecutive lesweken within the weeks from `start_monday` through `end_monday`,
    oldest first (e.g. size 4 for `absence-16h`, `absence-18plus` and `long-term-absence`). None when a week in
    the range is undetermined."""
    if size < 1:
        raise ValueError("size must be >= 1")
    weeks = lesweken_between(start_monday, end_monday, region, sector, scheduled_hours)
    if weeks is None:
        return None
    return [tuple(weeks[i : i + size]) for i in range(len(weeks) - size + 1)]
