# SPDX-License-Identifier: EUPL-1.2
"""Working days for deadlines: Algemene termijnenwet art. 3 (spec/domain.md, "Working days")."""

from __future__ import annotations

from datetime import date, timedelta

import holidays
import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.core.calendar import (
    add_working_days,
    is_working_day,
    kings_day,
    termijnenwet_holidays,
    working_days_between,
)


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (date(2026, 4, 2), True),  # Maundy Thursday
        (date(2026, 4, 3), False),  # Good Friday: art. 3 lid 2 (ADR 0015)
        (date(2026, 4, 5), False),  # Easter Sunday
        (date(2026, 4, 6), False),  # Easter Monday
        (date(2026, 4, 7), True),
        (date(2025, 4, 18), False),  # Good Friday 2025
        (date(2025, 4, 21), False),  # Easter Monday 2025
        (date(2025, 4, 28), True),  # the Monday after King's Day 2025 (Saturday 26 April)
        (date(2026, 4, 27), False),  # King's Day 2026, a Monday
        (date(2026, 5, 5), False),  # 5 May counts every year, not only in lustrum years
        (date(2025, 5, 5), False),
        (date(2027, 5, 5), False),
        (date(2026, 5, 14), False),  # Ascension Day
        (date(2026, 5, 15), True),  # the Friday after it
        (date(2026, 5, 25), False),  # Whit Monday
        (date(2025, 12, 24), True),
        (date(2025, 12, 25), False),
        (date(2025, 12, 26), False),
        (date(2025, 12, 31), True),
        (date(2026, 1, 1), False),
        (date(2026, 1, 2), True),
        (date(2026, 1, 10), False),  # Saturday
        (date(2026, 1, 11), False),  # Sunday
    ],
)
def test_is_working_day(day: date, working: bool) -> None:
    assert is_working_day(day) is working


def test_ascension_day_on_5_may_keeps_both_names() -> None:
    assert termijnenwet_holidays(2005)[date(2005, 5, 5)] == "Bevrijdingsdag (5 mei); Hemelvaartsdag"


def test_kings_day() -> None:
    assert date(2025, 4, 27).weekday() == 6  # a Sunday ...
    assert kings_day(2025) == date(2025, 4, 26)  # ... so King's Day is Saturday 26 April 2025
    assert kings_day(2026) == date(2026, 4, 27)
    assert kings_day(2014) == date(2014, 4, 26)  # 27 April 2014 was a Sunday
    assert kings_day(2013) == date(2013, 4, 30)  # Koninginnedag
    assert kings_day(2006) == date(2006, 4, 29)  # 30 April 2006 was a Sunday


def test_the_moveable_feasts_match_the_holidays_library() -> None:
    for year in range(2000, 2041):
        days = termijnenwet_holidays(year)
        library = holidays.country_holidays("NL", years=year, language="en_US")
        easter_monday = next(d for d, name in days.items() if "tweede Paasdag" in name)
        assert easter_monday.weekday() == 0
        assert "Hemelvaartsdag" in days[easter_monday + timedelta(days=38)]
        assert "tweede Pinksterdag" in days[easter_monday + timedelta(days=49)]
        good_friday = easter_monday - timedelta(days=3)
        assert good_friday in library
        assert "Goede Vrijdag" in days[good_friday]  # art. 3 lid 2
        fixed = {date(year, 1, 1), kings_day(year), date(year, 5, 5), date(year, 12, 25), date(year, 12, 26)}
        assert fixed <= set(days)
        assert sum(name.count(";") + 1 for name in days.values()) == 9
        if year >= 2014:
            assert "Koningsdag" in days[kings_day(year)]
            assert kings_day(year) in library


@pytest.mark.parametrize(
    ("start", "n", "expected"),
    [
        (date(2026, 1, 16), 1, date(2026, 1, 19)),  # Friday + 1: over the weekend
        (date(2026, 1, 16), 5, date(2026, 1, 23)),
        (date(2026, 1, 17), 1, date(2026, 1, 19)),  # from a Saturday
        (date(2026, 4, 2), 1, date(2026, 4, 7)),  # Good Friday, the weekend and Easter Monday skipped
        (date(2026, 4, 2), 2, date(2026, 4, 8)),
        (date(2026, 4, 30), 3, date(2026, 5, 6)),  # 5 May 2026 skipped
        (date(2025, 12, 24), 1, date(2025, 12, 29)),  # Christmas and the weekend
        (date(2025, 12, 24), 4, date(2026, 1, 2)),  # and New Year's Day
        (date(2026, 5, 13), 1, date(2026, 5, 15)),  # Ascension Day
        (date(2026, 3, 2), 0, date(2026, 3, 2)),
    ],
)
def test_add_working_days(start: date, n: int, expected: date) -> None:
    assert add_working_days(start, n) == expected
    assert working_days_between(start, expected) == n


def test_working_days_between() -> None:
    assert working_days_between(date(2026, 4, 2), date(2026, 4, 2)) == 0
    assert working_days_between(date(2026, 4, 7), date(2026, 4, 2)) == 0
    assert working_days_between(date(2026, 4, 2), date(2026, 4, 7)) == 1  # Good Friday and Easter Monday
    assert working_days_between(date(2025, 12, 19), date(2026, 1, 9)) == 12
    with pytest.raises(ValueError):
        add_working_days(date(2026, 1, 1), -1)


DAYS = st.dates(min_value=date(2000, 1, 1), max_value=date(2040, 12, 31))


@given(d=DAYS, n=st.integers(min_value=0, max_value=80))
def test_add_then_count_round_trips(d: date, n: int) -> None:
    deadline = add_working_days(d, n)
    if n:
        assert is_working_day(deadline)
    assert working_days_between(d, deadline) == n


@given(a=DAYS, length=st.integers(min_value=0, max_value=800))
def test_working_days_between_matches_counting_day_by_day(a: date, length: int) -> None:
    b = a + timedelta(days=length)
    assert working_days_between(a, b) == sum(is_working_day(a + timedelta(days=i)) for i in range(1, length + 1))
