# SPDX-License-Identifier: EUPL-1.2
"""Whole reporting periods with CBS-style codes, and the fixed dimension bands.

Observations exist only for whole periods that have ended and for fixed bands (interface.md, "Reporting"), so
that no two queries can be differenced to single out one youth.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

from services.core.calendar import add_months_clamped, age_on

PeriodKind = Literal["month", "quarter", "year", "school-year"]
PERIOD_KINDS: tuple[PeriodKind, ...] = ("month", "quarter", "year", "school-year")
TOTAL = "T001"
AGE_BANDS = ("12-15", "16-17", "18-22", "23-26", "unknown")
SECTORS = ("vo", "pro", "vso", "vavo", "mbo", "hbo", "wo", "none")
GROUPS = ("1-in-view", "2-out-of-view", "3-at-risk", "none")
_CODE = re.compile(r"^(\d{4})(JJ|KW|MM|SJ)(\d{2})$")


@dataclass(frozen=True, order=True)
class Period:
    start: date
    end: date
    kind: PeriodKind
    code: str


def month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def _month(year: int, month: int) -> Period:
    return Period(date(year, month, 1), month_end(year, month), "month", f"{year}MM{month:02d}")


def _quarter(year: int, quarter: int) -> Period:
    first = 3 * quarter - 2
    return Period(date(year, first, 1), month_end(year, first + 2), "quarter", f"{year}KW{quarter:02d}")


def _year(year: int) -> Period:
    return Period(date(year, 1, 1), date(year, 12, 31), "year", f"{year}JJ00")


def _school_year(year: int) -> Period:
    return Period(date(year, 8, 1), date(year + 1, 7, 31), "school-year", f"{year}SJ00")


def period_containing(kind: PeriodKind, day: date) -> Period:
    if kind == "month":
        return _month(day.year, day.month)
    if kind == "quarter":
        return _quarter(day.year, (day.month - 1) // 3 + 1)
    if kind == "year":
        return _year(day.year)
    return _school_year(day.year if day.month >= 8 else day.year - 1)


def periods_between(kind: PeriodKind, first: date, last: date) -> list[Period]:
    """Every period of `kind` that starts on or after `first` and ends on or before `last`, oldest first."""
    found: list[Period] = []
    period = period_containing(kind, first)
    if period.start < first:
        period = period_containing(kind, period.end + timedelta(days=1))
    while period.end <= last:
        found.append(period)
        period = period_containing(kind, period.end + timedelta(days=1))
    return found


def periods_ending_on(day: date) -> list[Period]:
    """The periods of every kind whose last day is `day` (a month-end: always its month)."""
    return [p for kind in PERIOD_KINDS if (p := period_containing(kind, day)).end == day]


def parse_period(code: str) -> Period:
    """The period of a code such as `2025MM03`; ValueError for anything else."""
    match = _CODE.match(code)
    if match is None:
        raise ValueError(f"not a period code: {code!r}")
    year, kind, number = int(match[1]), match[2], int(match[3])
    if kind == "MM" and 1 <= number <= 12:
        return _month(year, number)
    if kind == "KW" and 1 <= number <= 4:
        return _quarter(year, number)
    if kind == "JJ" and number == 0:
        return _year(year)
    if kind == "SJ" and number == 0:
        return _school_year(year)
    raise ValueError(f"not a period code: {code!r}")


def same_period_a_year_earlier(period: Period) -> tuple[date, date]:
    """The same-length period 12 months earlier (the cohort of `sustained-12-months` and `relapse-rate`)."""
    start = add_months_clamped(period.start, -12)
    end = add_months_clamped(period.end + timedelta(days=1), -12) - timedelta(days=1)
    return start, end


def month_ends_between(first: date, last: date) -> list[date]:
    """The month-end dates from the month of `first` through `last` (inclusive when `last` is one)."""
    found = []
    year, month = first.year, first.month
    while (day := month_end(year, month)) <= last:
        found.append(day)
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return found


def last_month_end_before(day: date) -> date:
    """The last month-end strictly before `day`: the last day a snapshot can describe completely."""
    return date(day.year, day.month, 1) - timedelta(days=1)


def age_band(birth: date | None, day: date) -> str:
    """The age band on `day` (a birthday counts from that day; 29 February births on 1 March)."""
    if birth is None or day < birth:
        return "unknown"
    age = age_on(birth, day)
    if 12 <= age <= 15:
        return "12-15"
    if 16 <= age <= 17:
        return "16-17"
    if 18 <= age <= 22:
        return "18-22"
    if 23 <= age <= 26:
        return "23-26"
    return "unknown"
