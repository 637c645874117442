# SPDX-License-Identifier: EUPL-1.2
"""Ages, 17.5 years, school years, leerplicht and kwalificatieplicht (spec/domain.md, "Who and when")."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.core.calendar import (
    SchoolYear,
    add_months_clamped,
    age_on,
    birthday_in_year,
    eighteenth_birthday,
    is_kwalificatieplichtig,
    is_leerplichtig,
    kwalificatieplicht_end,
    last_kwalificatieplichtig_day,
    leerplicht_end,
    peildatum_early_leavers,
    school_year_of,
    seventeen_and_a_half,
)


@pytest.mark.parametrize(
    ("birth", "day", "age"),
    [
        (date(2010, 5, 17), date(2022, 5, 16), 11),
        (date(2010, 5, 17), date(2022, 5, 17), 12),
        (date(2010, 5, 17), date(2037, 5, 16), 26),
        (date(2010, 5, 17), date(2037, 5, 17), 27),
        # 29 February: the birthday is 1 March in non-leap years ...
        (date(2008, 2, 29), date(2025, 2, 28), 16),
        (date(2008, 2, 29), date(2025, 3, 1), 17),
        (date(2008, 2, 29), date(2026, 2, 28), 17),
        (date(2008, 2, 29), date(2026, 3, 1), 18),
        # ... and 29 February in leap years.
        (date(2008, 2, 29), date(2024, 2, 28), 15),
        (date(2008, 2, 29), date(2024, 2, 29), 16),
        (date(2008, 2, 29), date(2024, 3, 1), 16),
        (date(2008, 2, 29), date(2008, 2, 29), 0),
    ],
)
def test_age_on(birth: date, day: date, age: int) -> None:
    assert age_on(birth, day) == age


def test_age_before_birth_is_an_error() -> None:
    with pytest.raises(ValueError):
        age_on(date(2010, 1, 2), date(2010, 1, 1))


def test_birthday_in_year() -> None:
    assert birthday_in_year(date(2008, 2, 29), 2025) == date(2025, 3, 1)
    assert birthday_in_year(date(2008, 2, 29), 2028) == date(2028, 2, 29)
    assert birthday_in_year(date(2008, 3, 1), 2025) == date(2025, 3, 1)
    assert eighteenth_birthday(date(2008, 2, 29)) == date(2026, 3, 1)


@pytest.mark.parametrize(
    ("d", "months", "expected"),
    [
        (date(2025, 8, 31), 6, date(2026, 2, 28)),
        (date(2023, 8, 31), 6, date(2024, 2, 29)),
        (date(2024, 1, 31), 1, date(2024, 2, 29)),
        (date(2024, 3, 31), -1, date(2024, 2, 29)),
        (date(2024, 12, 15), 1, date(2025, 1, 15)),
        (date(2024, 5, 31), 0, date(2024, 5, 31)),
        (date(2025, 10, 31), 6, date(2026, 4, 30)),
    ],
)
def test_add_months_clamped(d: date, months: int, expected: date) -> None:
    assert add_months_clamped(d, months) == expected


@pytest.mark.parametrize(
    ("birth", "expected"),
    [
        (date(2008, 8, 31), date(2026, 2, 28)),  # 17th birthday 31 August 2025; February 2026 has 28 days
        (date(2006, 8, 31), date(2024, 2, 29)),  # 17th birthday 31 August 2023; 2024 is a leap year
        (date(2008, 2, 29), date(2025, 9, 1)),  # 17th birthday on 1 March 2025 (not a leap year)
        (date(2008, 6, 15), date(2025, 12, 15)),
    ],
)
def test_seventeen_and_a_half(birth: date, expected: date) -> None:
    assert seventeen_and_a_half(birth) == expected


def test_school_year() -> None:
    year = school_year_of(date(2025, 8, 1))
    assert year == SchoolYear(2025)
    assert (year.start, year.end) == (date(2025, 8, 1), date(2026, 7, 31))
    assert year.label == str(year) == "2025-2026"
    assert school_year_of(date(2026, 7, 31)) == year
    assert school_year_of(date(2025, 7, 31)) == SchoolYear(2024)
    assert year.contains(date(2026, 2, 1))
    assert not year.contains(date(2026, 8, 1))
    assert year.next() == SchoolYear(2026)
    assert year.previous() == SchoolYear(2024)
    assert SchoolYear.from_label("2025-2026") == year
    assert peildatum_early_leavers(year) == date(2025, 10, 1)
    for bad in ("2025", "2025-2027", "x-y", "2025/2026"):
        with pytest.raises(ValueError):
            SchoolYear.from_label(bad)


@pytest.mark.parametrize(
    ("birth", "end"),
    [
        (date(2010, 7, 31), date(2026, 7, 31)),  # turns 16 on the last day of school year 2025-2026
        (date(2010, 8, 1), date(2027, 7, 31)),  # turns 16 on the first day of school year 2026-2027
        (date(2010, 10, 1), date(2027, 7, 31)),
        (date(2010, 1, 15), date(2026, 7, 31)),
        (date(2008, 2, 29), date(2024, 7, 31)),  # the 16th birthday is 29 February 2024
    ],
)
def test_leerplicht_end(birth: date, end: date) -> None:
    assert leerplicht_end(birth) == end
    assert is_leerplichtig(birth, end)
    assert not is_leerplichtig(birth, end + timedelta(days=1))
    assert is_kwalificatieplichtig(birth, end + timedelta(days=1), None)
    assert not is_kwalificatieplichtig(birth, end, None)


def test_kwalificatieplicht_until_the_18th_birthday() -> None:
    birth = date(2010, 7, 31)
    assert kwalificatieplicht_end(birth, None) == date(2028, 7, 31)
    assert last_kwalificatieplichtig_day(birth, None) == date(2028, 7, 30)
    assert is_kwalificatieplichtig(birth, date(2026, 8, 1), None)
    assert is_kwalificatieplichtig(birth, date(2028, 7, 30), None)
    assert not is_kwalificatieplichtig(birth, date(2028, 7, 31), None)
    assert not is_leerplichtig(birth, date(2028, 7, 30))


def test_kwalificatieplicht_ends_with_a_startkwalificatie() -> None:
    birth = date(2010, 7, 31)
    diploma = date(2027, 6, 15)
    assert kwalificatieplicht_end(birth, diploma) == diploma
    assert last_kwalificatieplichtig_day(birth, diploma) == date(2027, 6, 14)
    assert is_kwalificatieplichtig(birth, date(2027, 6, 14), diploma)
    assert not is_kwalificatieplichtig(birth, diploma, diploma)
    # A startkwalificatie after the 18th birthday changes nothing.
    assert kwalificatieplicht_end(birth, date(2029, 1, 1)) == date(2028, 7, 31)
    # One obtained while still leerplichtig means no kwalificatieplicht at all.
    early = date(2026, 6, 1)
    assert not any(is_kwalificatieplichtig(birth, date(2026, 8, 1) + timedelta(days=i), early) for i in range(800))


def test_kwalificatieplicht_for_a_29_february_birth() -> None:
    birth = date(2008, 2, 29)
    assert kwalificatieplicht_end(birth, None) == date(2026, 3, 1)
    assert is_kwalificatieplichtig(birth, date(2026, 2, 28), None)
    assert not is_kwalificatieplichtig(birth, date(2026, 3, 1), None)


@given(
    birth=st.dates(min_value=date(1990, 1, 1), max_value=date(2020, 12, 31)),
    offset=st.integers(min_value=0, max_value=30 * 366),
)
def test_leerplicht_and_kwalificatieplicht_never_overlap(birth: date, offset: int) -> None:
    day = birth + timedelta(days=offset)
    assert not (is_leerplichtig(birth, day) and is_kwalificatieplichtig(birth, day, None))
    if is_kwalificatieplichtig(birth, day, None):
        assert 16 <= age_on(birth, day) < 18


@given(birth=st.dates(min_value=date(1990, 1, 1), max_value=date(2020, 12, 31)))
def test_age_steps_on_birthdays(birth: date) -> None:
    for years in (12, 17, 18, 27):
        birthday = birthday_in_year(birth, birth.year + years)
        assert age_on(birth, birthday) == years
        assert age_on(birth, birthday - timedelta(days=1)) == years - 1
