# SPDX-License-Identifier: EUPL-1.2
"""Working days for deadlines (spec/domain.md, "Working days"; Algemene termijnenwet art. 3).

Working days are Monday to Friday except the days of art. 3 lid 1 Algemene termijnenwet: Nieuwjaarsdag, tweede
Paasdag, Hemelvaartsdag, tweede Pinksterdag, Koningsdag, 5 mei (every year) and eerste en tweede Kerstdag, and
Goede Vrijdag, which art. 3 lid 2 puts on a par with them. spec/domain.md calls Good Friday a working day; the law
does not, and the law is followed (ADR 0015). Days the government assigns by decree under art. 3 lid 3 (such as
the Friday after Ascension Day) are not modelled.

The moveable feasts come from the `holidays` library (`holidays.NL`). That library also lists Easter Sunday and
Whit Sunday (Sundays anyway: not added) and lists Liberation Day only in lustrum years (art. 3 names 5 May every
year: added), so only the moveable feasts of art. 3 are taken from it; the fixed days are set here.
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache

import holidays

__all__ = [
    "add_working_days",
    "is_working_day",
    "kings_day",
    "termijnenwet_holidays",
    "working_days_between",
]

# The names holidays.NL uses (language en_US) for the three moveable feasts that art. 3 names.
_MOVEABLE = {
    "Good Friday": "Goede Vrijdag",
    "Easter Monday": "tweede Paasdag",
    "Ascension Day": "Hemelvaartsdag",
    "Pentecost Monday": "tweede Pinksterdag",
    "Whit Monday": "tweede Pinksterdag",
}
_REQUIRED = ("Goede Vrijdag", "tweede Paasdag", "Hemelvaartsdag", "tweede Pinksterdag")


def kings_day(year: int) -> date:
    """Koningsdag: 27 April, or 26 April when 27 April is a Sunday (Wet viering Koningsdag, since 2014).

    Before 2014 the day was Koninginnedag: 30 April, or 29 April when 30 April was a Sunday.
    """
    if year >= 2014:
        day = date(year, 4, 27)
    else:
        day = date(year, 4, 30)
    return day - timedelta(days=1) if day.weekday() == 6 else day


@lru_cache(maxsize=256)
def termijnenwet_holidays(year: int) -> dict[date, str]:
    """The days of art. 3 lid 1 and 2 Algemene termijnenwet in `year`, with their Dutch names."""
    days = {
        date(year, 1, 1): "Nieuwjaarsdag",
        kings_day(year): "Koningsdag",
        date(year, 5, 5): "Bevrijdingsdag (5 mei)",
        date(year, 12, 25): "eerste Kerstdag",
        date(year, 12, 26): "tweede Kerstdag",
    }
    found: set[str] = set()
    for day, name in holidays.country_holidays("NL", years=year, language="en_US").items():
        for part in str(name).split("; "):
            if part in _MOVEABLE:
                # Ascension Day can fall on 5 May (2005, 2016): keep both names.
                days[day] = f"{days[day]}; {_MOVEABLE[part]}" if day in days else _MOVEABLE[part]
                found.add(_MOVEABLE[part])
    missing = set(_REQUIRED) - found
    if missing:  # a renamed holiday in a new `holidays` release must not silently make it a working day
        raise RuntimeError(f"holidays.NL did not provide {sorted(missing)} for {year}")
    return days


def is_working_day(d: date) -> bool:
    """Monday to Friday and not a day of art. 3 lid 1 or 2 Algemene termijnenwet (Good Friday included)."""
    return d.weekday() < 5 and d not in termijnenwet_holidays(d.year)


def add_working_days(d: date, n: int) -> date:
    """The n-th working day after `d` (`d` itself never counts); `d` for n = 0. Source: Algemene termijnenwet art. 3.

    Used for signal deadlines: `deadline` = the N-th working day after the evaluation date (spec/domain.md,
    "Evaluation"). Raises ValueError for negative n.
    """
    if n < 0:
        raise ValueError("n must be >= 0")
    day = d
    remaining = n
    while remaining:
        day += timedelta(days=1)
        if is_working_day(day):
            remaining -= 1
    return day


def working_days_between(a: date, b: date) -> int:
    """The number of working days after `a` up to and including `b` (0 when b <= a).

    Source: Algemene termijnenwet art. 3; used for "median working days from raised to acknowledged" and
    "handover-time" (spec/domain.md, "Indicators"). For every d and n >= 0:
    working_days_between(d, add_working_days(d, n)) == n.
    """
    if b <= a:
        return 0
    total_days = (b - a).days
    full_weeks, rest = divmod(total_days, 7)
    count = full_weeks * 5
    start = a + timedelta(days=full_weeks * 7)
    count += sum(1 for i in range(1, rest + 1) if (start + timedelta(days=i)).weekday() < 5)
    for year in range(a.year, b.year + 1):
        count -= sum(1 for day in termijnenwet_holidays(year) if a < day <= b and day.weekday() < 5)
    return count
