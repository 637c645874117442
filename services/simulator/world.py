# SPDX-License-Identifier: EUPL-1.2
"""What every part of the simulation shares: the random source, the parameters, the emitter, the calendar."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache
from typing import Any

from services.core.calendar import Region, is_holiday_week
from services.simulator import params
from services.simulator.emit import Emitter

REGION: Region = "midden"  # all of Zuid-Holland, Dordrecht included
_YEAR = timedelta(weeks=52)


@lru_cache(maxsize=4096)
def holiday_week(monday: date) -> bool:
    """Whether the week of `monday` is a school holiday week in region midden, from the project's calendar.

    Beyond the shipped holiday data the same week 52 weeks nearer to the data is used (an approximation for
    simulated years without official dates; the rules themselves do not fire there)."""
    week = monday
    for _ in range(20):
        verdict = is_holiday_week(week, REGION)
        if verdict is not None:
            return verdict
        week = week - _YEAR if week.year > 2025 else week + _YEAR
    return False


@dataclass(frozen=True)
class Week:
    """The simulated week: its Monday and what happens in it."""

    monday: date
    friday: date
    lesweek: bool
    year_end: bool  # exams, diplomas, promotions (the week holding 10 July)
    year_start: bool  # new school year enrolments (the week holding 1 August)
    school_year: int  # the calendar year in which the week's school year started


@lru_cache(maxsize=2048)
def week_of(monday: date) -> Week:
    friday, sunday = monday + timedelta(days=4), monday + timedelta(days=6)
    july10 = date(monday.year, 7, 10)
    august1 = date(monday.year, 8, 1)
    return Week(
        monday=monday,
        friday=friday,
        lesweek=not holiday_week(monday),
        year_end=monday <= july10 <= monday + timedelta(days=6),
        year_start=monday <= august1 <= monday + timedelta(days=6),
        school_year=sunday.year if sunday >= date(sunday.year, 8, 1) else sunday.year - 1,
    )


@dataclass
class World:
    rng: random.Random
    em: Emitter
    start: date
    end: date
    a: dict[str, Any] = field(default_factory=params.assumptions)

    def chance(self, p: float) -> bool:
        return self.rng.random() < p

    def weekly(self, annual: float) -> bool:
        return self.rng.random() < params.weekly(annual)
