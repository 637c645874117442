# SPDX-License-Identifier: EUPL-1.2
"""School holidays and lesweken (spec/domain.md, "Lesweek")."""

from __future__ import annotations

import itertools
import json
from datetime import date, timedelta
from importlib import resources
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.core.calendar import (
    REGIONS,
    CalendarDataMissing,
    Region,
    are_consecutive_lesweken,
    coverage,
    data_covers,
    default_region,
    holiday_on,
    is_holiday_week,
    is_lesweek,
    lesweek_sequence,
    lesweek_windows,
    lesweken_between,
    monday_of,
    next_lesweek,
    previous_lesweek,
    school_holidays,
)

RIJKSOVERHEID = "https://www.rijksoverheid.nl/onderwerpen/schoolvakanties/overzicht-schoolvakanties-per-schooljaar/"


def _raw() -> dict[str, Any]:
    text = resources.files("services.core").joinpath("data/school_holidays.json").read_text(encoding="utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


def test_the_data_file_is_well_formed() -> None:
    raw = _raw()
    years = {year["schoolYear"]: year for year in raw["schoolYears"]}
    assert {"2024-2025", "2025-2026", "2026-2027"} <= set(years)
    assert "Dordrecht" in raw["regions"]["midden"] and "Zuid-Holland" in raw["regions"]["midden"]
    for label, year in years.items():
        assert year["source"]["publisher"] == "Rijksoverheid"
        assert year["source"]["title"] == f"Schoolvakanties {label}"
        assert year["source"]["url"] == f"{RIJKSOVERHEID}overzicht-schoolvakanties-{label}"
        for entry in year["holidays"]:
            start, end = date.fromisoformat(entry["start"]), date.fromisoformat(entry["end"])
            assert start.weekday() == 5, entry  # Saturday
            assert end.weekday() == 6, entry  # Sunday
            assert start < end
            assert isinstance(entry["verified"], bool)
            assert entry["checkedAgainst"]
            if not entry["verified"]:
                assert entry["note"]
    for label in ("2024-2025", "2025-2026", "2026-2027"):
        for region in REGIONS:
            names = sorted(e["name"] for e in years[label]["holidays"] if region in e["regions"])
            assert names == ["herfstvakantie", "kerstvakantie", "meivakantie", "voorjaarsvakantie", "zomervakantie"]


def test_holidays_do_not_overlap() -> None:
    for region in REGIONS:
        items = school_holidays(region)
        for before, after in itertools.pairwise(items):
            assert before.end < after.start


def test_national_holidays_are_the_same_everywhere() -> None:
    for name in ("kerstvakantie", "meivakantie"):
        dates = {region: [(h.start, h.end) for h in school_holidays(region) if h.name == name] for region in REGIONS}
        assert dates["noord"] == dates["midden"] == dates["zuid"]


def test_coverage() -> None:
    assert coverage("midden") == (date(2024, 8, 1), date(2027, 8, 29))
    assert coverage("noord") == (date(2024, 8, 1), date(2027, 8, 22))
    assert not data_covers(date(2024, 7, 31))
    assert data_covers(date(2024, 8, 1))
    assert data_covers(date(2027, 8, 22), "noord")
    assert not data_covers(date(2027, 8, 23), "noord")
    assert data_covers(date(2027, 8, 23), "midden")
    assert not data_covers(date(2027, 8, 23))  # None: every region


def test_holiday_on() -> None:
    holiday = holiday_on(date(2025, 12, 25), "midden")
    assert holiday is not None and holiday.name == "kerstvakantie" and holiday.school_year == "2025-2026"
    assert holiday.source_url.endswith("overzicht-schoolvakanties-2025-2026")
    assert holiday_on(date(2025, 12, 19), "midden") is None


def test_monday_of() -> None:
    assert monday_of(date(2025, 12, 28)) == date(2025, 12, 22)
    assert monday_of(date(2025, 12, 22)) == date(2025, 12, 22)


def test_kerstvakantie_2025_2026() -> None:
    before, first, second, after = date(2025, 12, 15), date(2025, 12, 22), date(2025, 12, 29), date(2026, 1, 5)
    for region in REGIONS:
        assert is_holiday_week(first, region) is True
        assert is_holiday_week(second, region) is True
        assert is_lesweek(before, region) is True
        assert is_lesweek(first, region) is False
        assert is_lesweek(after, region) is True
        # The weeks before and after the holiday are consecutive lesweken.
        assert are_consecutive_lesweken([before, after], region) is True
        assert previous_lesweek(after, region) == before
        assert next_lesweek(before, region) == after
    assert lesweek_sequence(date(2025, 12, 8), date(2026, 1, 12), "midden") == [
        date(2025, 12, 8),
        before,
        after,
        date(2026, 1, 12),
    ]
    assert lesweek_windows(date(2025, 12, 1), date(2026, 1, 12), "midden", 4) == [
        (date(2025, 12, 1), date(2025, 12, 8), before, after),
        (date(2025, 12, 8), before, after, date(2026, 1, 12)),
    ]
    assert are_consecutive_lesweken([before, first], "midden") is False
    assert are_consecutive_lesweken([date(2025, 12, 8), after], "midden") is False  # 15 December is skipped


def test_herfstvakantie_midden_against_noord_and_zuid() -> None:
    assert is_holiday_week(date(2025, 10, 20), "midden") is True
    assert is_holiday_week(date(2025, 10, 20), "noord") is True
    assert is_holiday_week(date(2025, 10, 20), "zuid") is False
    assert is_holiday_week(date(2025, 10, 13), "zuid") is True
    assert is_holiday_week(date(2025, 10, 13), "midden") is False
    # 2024: noord and midden a week later than zuid.
    assert is_holiday_week(date(2024, 10, 28), "midden") is True
    assert is_holiday_week(date(2024, 10, 28), "noord") is True
    assert is_holiday_week(date(2024, 10, 21), "zuid") is True
    assert is_holiday_week(date(2024, 10, 21), "midden") is False
    # 2026: noord a week earlier.
    assert is_holiday_week(date(2026, 10, 12), "noord") is True
    assert is_holiday_week(date(2026, 10, 19), "midden") is True
    assert is_holiday_week(date(2026, 10, 19), "noord") is False
    assert previous_lesweek(date(2025, 10, 27), "midden") == date(2025, 10, 13)
    assert previous_lesweek(date(2025, 10, 27), "zuid") == date(2025, 10, 20)


def test_voorjaars_and_zomervakantie_differ_per_region() -> None:
    assert is_holiday_week(date(2026, 2, 16), "midden") is True
    assert is_holiday_week(date(2026, 2, 16), "noord") is False
    assert is_holiday_week(date(2026, 2, 23), "noord") is True
    assert is_holiday_week(date(2026, 7, 6), "noord") is True
    assert is_holiday_week(date(2026, 7, 6), "midden") is False
    assert is_holiday_week(date(2026, 8, 24), "midden") is True
    assert is_holiday_week(date(2026, 8, 24), "zuid") is False


def test_august_2024_uses_the_zomervakantie_of_2023_2024() -> None:
    assert is_holiday_week(date(2024, 8, 19), "midden") is True
    assert is_lesweek(date(2024, 8, 26), "midden") is True
    assert is_holiday_week(date(2024, 8, 26), "noord") is True
    assert is_lesweek(date(2024, 8, 19), "zuid") is True


def test_public_holidays_inside_a_week_keep_it_a_lesweek() -> None:
    assert is_lesweek(date(2026, 4, 6), "midden") is True  # Easter Monday
    assert is_lesweek(date(2026, 5, 11), "midden") is True  # Ascension Day
    assert is_lesweek(date(2026, 5, 25), "midden") is True  # Whit Monday
    assert is_lesweek(date(2026, 5, 4), "midden") is True  # 5 May, after the meivakantie
    assert is_lesweek(date(2026, 4, 27), "midden") is False  # the meivakantie itself


def test_mbo_ignores_school_holidays() -> None:
    assert is_lesweek(date(2025, 12, 22), "midden", 30, "mbo") is True
    assert is_lesweek(date(2025, 12, 22), "midden", None, "mbo") is True
    assert is_lesweek(date(2025, 12, 22), "midden", 0, "mbo") is False
    assert lesweken_between(date(2025, 12, 15), date(2026, 1, 5), "midden", "mbo") == [
        date(2025, 12, 15),
        date(2025, 12, 22),
        date(2025, 12, 29),
        date(2026, 1, 5),
    ]
    assert lesweken_between(
        date(2025, 12, 15), date(2026, 1, 5), "midden", "mbo", {date(2025, 12, 22): 0, date(2025, 12, 29): 0.0}
    ) == [date(2025, 12, 15), date(2026, 1, 5)]


def test_scheduled_hours_zero() -> None:
    week = date(2026, 3, 9)
    assert is_lesweek(week, "midden", 0, "vo") is False
    assert is_lesweek(week, "midden", 0.0) is False
    assert is_lesweek(week, "midden", 26, "vo") is True
    assert is_lesweek(date(2025, 12, 22), "midden", 26, "vo") is False  # hours reported in a holiday week
    hours = {date(2026, 3, 16): 0.0}
    assert previous_lesweek(date(2026, 3, 23), "midden", "vo", hours) == week
    assert are_consecutive_lesweken([week, date(2026, 3, 23)], "midden", "vo", hours) is True


def test_outside_the_data() -> None:
    assert is_holiday_week(date(2024, 7, 29), "midden") is None  # partly before 1 August 2024
    assert is_holiday_week(date(2027, 9, 6), "midden") is None
    assert is_lesweek(date(2027, 9, 6), "midden", 26, "vo") is None
    assert is_lesweek(date(2027, 9, 6), "midden", 26, "mbo") is None
    assert is_lesweek(date(2027, 9, 6), "midden", 0, "vo") is False
    assert lesweken_between(date(2027, 8, 16), date(2027, 9, 13), "midden") is None
    assert previous_lesweek(date(2024, 8, 5), "zuid") is None
    assert lesweek_windows(date(2027, 6, 1), date(2027, 9, 13), "midden", 4) is None
    assert are_consecutive_lesweken([date(2027, 7, 5), date(2027, 9, 6)], "midden") is None
    with pytest.raises(CalendarDataMissing):
        lesweek_sequence(date(2027, 8, 2), date(2027, 9, 6), "midden")


def test_default_region() -> None:
    assert default_region() in REGIONS


WEEKS = st.dates(min_value=date(2024, 8, 5), max_value=date(2027, 6, 28)).map(monday_of)


@given(start=WEEKS, length=st.integers(min_value=0, max_value=30), region=st.sampled_from(REGIONS))
def test_lesweek_sequence_properties(start: date, length: int, region: Region) -> None:
    end = start + timedelta(weeks=length)
    if not data_covers(end + timedelta(days=4), region):
        return
    weeks = lesweek_sequence(start, end, region)
    assert weeks == sorted(set(weeks))
    assert all(w.weekday() == 0 and start <= w <= end for w in weeks)
    assert all(is_holiday_week(w, region) is False for w in weeks)
    assert are_consecutive_lesweken(weeks, region) is True
    for earlier, later in itertools.pairwise(weeks):
        assert next_lesweek(earlier, region) == later
        assert previous_lesweek(later, region) == earlier
