# SPDX-License-Identifier: EUPL-1.2
"""Ages, school years, leerplicht and kwalificatieplicht (spec/domain.md, "Who and when").

Pure functions of dates: no database, no clock. A 29 February birthday falls on 1 March in other years.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta

__all__ = [
    "SchoolYear",
    "add_months_clamped",
    "age_on",
    "birthday_in_year",
    "eighteenth_birthday",
    "is_kwalificatieplichtig",
    "is_leerplichtig",
    "kwalificatieplicht_end",
    "last_kwalificatieplichtig_day",
    "leerplicht_end",
    "peildatum_early_leavers",
    "school_year_of",
    "seventeen_and_a_half",
]


def birthday_in_year(birth: date, year: int) -> date:
    """The birthday of someone born on `birth` in `year`; a 29 February birthday is 1 March in non-leap years.

    Source: spec/domain.md, "Age on a date" (the programme's reading of art. 1:2 Burgerlijk Wetboek-style
    whole-year ages for leap-day births).
    """
    if birth.month == 2 and birth.day == 29 and not calendar.isleap(year):
        return date(year, 3, 1)
    return birth.replace(year=year)


def age_on(birth: date, day: date) -> int:
    """Age in whole years on `day`: the number of birthdays (see `birthday_in_year`) on or before `day`.

    Source: spec/domain.md, "Age on a date". Raises ValueError when `day` is before `birth`.
    """
    if day < birth:
        raise ValueError(f"{day} is before the birth date {birth}")
    years = day.year - birth.year
    if day < birthday_in_year(birth, day.year):
        years -= 1
    return years


def eighteenth_birthday(birth: date) -> date:
    """The 18th birthday (29 February births: 1 March in non-leap years). Source: spec/domain.md, "Who and when"."""
    return birthday_in_year(birth, birth.year + 18)


def add_months_clamped(d: date, months: int) -> date:
    """The same day number `months` calendar months after `d`, or that month's last day if it has no such day.

    Source: spec/domain.md, "17 years and 6 months: the same day number 6 months after the 17th birthday (the
    month's last day if that day does not exist)". `months` may be negative.
    """
    index = d.year * 12 + (d.month - 1) + months
    year, month = divmod(index, 12)
    month += 1
    return date(year, month, min(d.day, calendar.monthrange(year, month)[1]))


def seventeen_and_a_half(birth: date) -> date:
    """The day the youth is 17 years and 6 months: 6 months (clamped) after the 17th birthday.

    Source: spec/domain.md, "Who and when" (used by `transition-18-no-plan` and `transition-plan-coverage`).
    Born 31 August: 17th birthday 31 August, so 28 or 29 February. Born 29 February: the 17th birthday is
    1 March when that year is not a leap year, so 1 September.
    """
    return add_months_clamped(birthday_in_year(birth, birth.year + 17), 6)


@dataclass(frozen=True, slots=True)
class SchoolYear:
    """A school year: 1 August of `start_year` to 31 July of the next year (spec/domain.md, "School year")."""

    start_year: int

    @property
    def start(self) -> date:
        return date(self.start_year, 8, 1)

    @property
    def end(self) -> date:
        return date(self.start_year + 1, 7, 31)

    @property
    def label(self) -> str:
        """The label used in dedupe keys and reporting, e.g. "2025-2026"."""
        return f"{self.start_year}-{self.start_year + 1}"

    def contains(self, day: date) -> bool:
        return self.start <= day <= self.end

    def next(self) -> SchoolYear:
        return SchoolYear(self.start_year + 1)

    def previous(self) -> SchoolYear:
        return SchoolYear(self.start_year - 1)

    @classmethod
    def from_label(cls, label: str) -> SchoolYear:
        """Parse "2025-2026"; raises ValueError for anything else."""
        first, sep, second = label.partition("-")
        if not sep or not first.isdigit() or not second.isdigit() or int(second) != int(first) + 1:
            raise ValueError(f"not a school year label: {label!r}")
        return cls(int(first))

    def __str__(self) -> str:
        return self.label


def school_year_of(day: date) -> SchoolYear:
    """The school year (1 August to 31 July) that holds `day`. Source: spec/domain.md, "School year"."""
    return SchoolYear(day.year if day.month >= 8 else day.year - 1)


def peildatum_early_leavers(school_year: SchoolYear) -> date:
    """1 October of the school year: the peildatum for (new) early leavers (spec/domain.md; DUO/OCW vsv)."""
    return date(school_year.start_year, 10, 1)


def leerplicht_end(birth: date) -> date:
    """The last leerplichtig day: 31 July of the school year in which the youth turns 16.

    Source: Leerplichtwet 1969, art. 3 (full-time leerplicht ends at the end of the school year in which the
    youth has reached the age of 16). A 29 February birth turns 16 on 29 February (16 is a multiple of 4, so
    the 16th birthday is always in a leap year); born 31 July: turns 16 on 31 July, the school year's last day,
    so leerplicht ends that day; born 1 August: turns 16 on the first day of a school year, so it ends the
    following 31 July.
    """
    return school_year_of(birthday_in_year(birth, birth.year + 16)).end


def is_leerplichtig(birth: date, day: date) -> bool:
    """Leerplichtig on `day`: from the birth date up to and including `leerplicht_end(birth)`.

    Source: Leerplichtwet 1969, art. 3; spec/domain.md, "Leerplichtig". Leerplicht legally starts on the first
    school day of the month after the 5th birthday; this project's target group starts at 12, so that start is
    not modelled.
    """
    return birth <= day <= leerplicht_end(birth)


def kwalificatieplicht_end(birth: date, startkwalificatie_date: date | None) -> date:
    """The day kwalificatieplicht ends: the 18th birthday or the startkwalificatie date, whichever comes first.

    Source: Leerplichtwet 1969, art. 4a (kwalificatieplicht until the youth turns 18 or has a
    startkwalificatie). The returned day is the first day the youth is no longer kwalificatieplichtig (an
    exclusive end): see `last_kwalificatieplichtig_day`.
    """
    end = eighteenth_birthday(birth)
    if startkwalificatie_date is not None and startkwalificatie_date < end:
        return startkwalificatie_date
    return end


def last_kwalificatieplichtig_day(birth: date, startkwalificatie_date: date | None) -> date:
    """The last kwalificatieplichtig day: the day before `kwalificatieplicht_end` (the day before the 18th birthday
    without a startkwalificatie). Source: Leerplichtwet 1969, art. 4a."""
    return kwalificatieplicht_end(birth, startkwalificatie_date) - timedelta(days=1)


def is_kwalificatieplichtig(birth: date, day: date, startkwalificatie_date: date | None) -> bool:
    """Kwalificatieplichtig on `day`: after leerplicht ended and before `kwalificatieplicht_end`.

    Source: Leerplichtwet 1969, art. 4a; spec/domain.md, "Kwalificatieplichtig".
    Boundaries: the first kwalificatieplichtig day is the day after `leerplicht_end(birth)`; the last is the day
    before the 18th birthday; on the 18th birthday the youth is no longer kwalificatieplichtig. A
    startkwalificatie obtained on date S ends it from S on (S itself is not kwalificatieplichtig). Never true on
    a day the youth is leerplichtig, so the two are mutually exclusive.
    """
    return leerplicht_end(birth) < day < kwalificatieplicht_end(birth, startkwalificatie_date)
