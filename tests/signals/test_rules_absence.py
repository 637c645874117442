# SPDX-License-Identifier: EUPL-1.2
"""Absence rules at their thresholds: facts through the intake API, results through the signals API."""

from __future__ import annotations

from datetime import date, timedelta

from tests.factories import make_partner
from tests.intake.support import OTHER_BRIN, SCHOOL_BRIN
from tests.signals.support import World, Youth, of_type

# Lesweken in region midden around the 2026 voorjaarsvakantie (14-22 February: the week of 16 February is a
# holiday week, so 9 and 23 February are consecutive lesweken).
JAN_12, JAN_19, JAN_26, FEB_2 = date(2026, 1, 12), date(2026, 1, 19), date(2026, 1, 26), date(2026, 2, 2)
FEB_9, FEB_16, FEB_23, MAR_2 = date(2026, 2, 9), date(2026, 2, 16), date(2026, 2, 23), date(2026, 3, 2)
PUPIL = date(2011, 5, 5)  # 14 in 2026: leerplichtig


def test_absence_16h_fires_at_16_hours_and_not_at_15_5(world: World) -> None:
    at_threshold = world.youth(PUPIL)
    below = world.youth(PUPIL)
    for youth, hours in ((at_threshold, [4, 4, 4, 4]), (below, [4, 4, 4, 3.5])):
        youth.enrol(date(2025, 8, 18))
        for week, unauthorized in zip((JAN_12, JAN_19, JAN_26, FEB_2), hours, strict=True):
            youth.absence(week, unauthorized)
    world.scan(date(2026, 2, 6))

    signals = of_type(world.signals(world.partners.leerplicht), "absence-16h")
    assert len(signals) == 1
    signal = signals[0]
    assert signal["dedupeKey"] == "2026-01-12"
    assert signal["severity"] == "medium"
    assert signal["routedTo"] == world.partners.leerplicht.id
    assert signal["raisedOn"] == "2026-02-06"
    assert signal["deadline"] == "2026-02-13"  # 5 working days
    facts = signal["reasons"][0]["facts"]
    assert facts["totalUnauthorizedHours"] == 16
    assert [w["weekStart"] for w in facts["weeks"]] == ["2026-01-12", "2026-01-19", "2026-01-26", "2026-02-02"]
    assert {r["code"] for r in signal["reasons"]} == {"unauthorized-hours-16", "leerplichtig"}


def test_a_holiday_week_is_skipped_so_the_weeks_around_it_are_consecutive(world: World) -> None:
    youth = world.youth(PUPIL)
    youth.enrol(date(2025, 8, 18))
    # 16 hours over 2 + 9 February, the voorjaarsvakantie, 23 February and 2 March: four consecutive lesweken.
    for week in (FEB_2, FEB_9, FEB_23, MAR_2):
        youth.absence(week, 4)
    youth.absence(FEB_16, 0, scheduled=0)
    world.scan(date(2026, 3, 6))

    [signal] = of_type(world.signals(world.partners.leerplicht), "absence-16h")
    assert signal["dedupeKey"] == "2026-02-02"
    weeks = [w["weekStart"] for w in signal["reasons"][0]["facts"]["weeks"]]
    assert weeks == ["2026-02-02", "2026-02-09", "2026-02-23", "2026-03-02"]


def test_five_calendar_weeks_with_a_holiday_are_not_five_lesweken(world: World) -> None:
    # 4 hours in each of the lesweken 26 Jan, 2 Feb, 9 Feb and 23 Feb is 16 hours in 4 lesweken, while
    # 26 Jan .. 23 Feb spans 5 calendar weeks: it fires.
    youth = world.youth(PUPIL)
    youth.enrol(date(2025, 8, 18))
    for week in (JAN_26, FEB_2, FEB_9, FEB_23):
        youth.absence(week, 4)
    world.scan(date(2026, 2, 27))
    assert [s["dedupeKey"] for s in of_type(world.signals(world.partners.leerplicht), "absence-16h")] == ["2026-01-26"]


def test_an_exemption_switches_the_absence_rules_off(world: World) -> None:
    exempted = world.youth(PUPIL)
    exempted.enrol(date(2025, 8, 18))
    exempted.exemption(date(2026, 1, 1))
    for week in (JAN_12, JAN_19, JAN_26, FEB_2):
        exempted.absence(week, 26)
    world.scan(date(2026, 2, 6))
    assert world.signals(world.partners.leerplicht) == []


def test_the_next_window_starts_after_the_previous_signals_window(world: World) -> None:
    youth = world.youth(PUPIL)
    youth.enrol(date(2025, 8, 18))
    for week in (JAN_12, JAN_19, JAN_26, FEB_2):
        youth.absence(week, 4)
    world.scan(date(2026, 2, 6))
    # 9 February alone would make 12 + 8 = 20 hours in the window from 19 January: it overlaps the first.
    youth.absence(FEB_9, 8)
    world.scan(date(2026, 2, 13))
    assert [s["dedupeKey"] for s in of_type(world.signals(world.partners.leerplicht), "absence-16h")] == ["2026-01-12"]
    # A new window after 2 February fires again: 9 Feb, 23 Feb, 2 Mar and 9 Mar (nothing reported: 0 hours).
    for week in (FEB_23, MAR_2):
        youth.absence(week, 4)
    world.scan(date(2026, 3, 13))
    keys = sorted(s["dedupeKey"] for s in of_type(world.signals(world.partners.leerplicht), "absence-16h"))
    assert keys == ["2026-01-12", "2026-02-09"]


def _pupil_new_at_school(world: World, hours: tuple[float, float]) -> Youth:
    """A pupil enrolled on 19 January whose school reported `hours` for 19 and 26 January, scanned on 30 January."""
    youth = world.youth(PUPIL)
    youth.enrol(date(2026, 1, 19))
    for week, unauthorized in zip((JAN_19, JAN_26), hours, strict=True):
        youth.absence(week, unauthorized)
    world.scan(date(2026, 1, 30))
    return youth


def _absence_keys(world: World) -> list[str]:
    return sorted(s["dedupeKey"] for s in of_type(world.signals(world.partners.leerplicht), "absence-16h"))


def test_sixteen_hours_in_a_schools_first_lesweken_are_reported_at_once(world: World) -> None:
    # A pupil new at the school (moved in, or changed schools): its first reports are of 19 and 26 January. 16
    # hours in them lie in every window of 4 lesweken that holds them, so the rule fires now, not a fortnight
    # later when a fourth lesweek has passed (ADR 0035). 15.5 hours do not.
    _pupil_new_at_school(world, (6, 9.5))
    new_pupil = _pupil_new_at_school(world, (6, 10))

    [signal] = of_type(world.signals(world.partners.leerplicht), "absence-16h")
    assert signal["dedupeKey"] == "2026-01-19"
    facts = signal["reasons"][0]["facts"]
    assert facts["totalUnauthorizedHours"] == 16
    assert [w["weekStart"] for w in facts["weeks"]] == ["2026-01-19", "2026-01-26"]
    assert "leerplichtig" in {r["code"] for r in signal["reasons"]}

    # Weeks later the same hours lie in windows of 4 lesweken, and a report of the week before the first one
    # arrives late: still the one signal.
    new_pupil.absence(JAN_12, 0)
    for week in (FEB_2, FEB_9):
        new_pupil.absence(week, 0)
    world.scan(date(2026, 2, 13))
    assert _absence_keys(world) == ["2026-01-19"]


def test_hours_in_a_window_of_first_lesweken_raise_no_second_signal_later(world: World) -> None:
    # 0 + 16 hours: the window of the first two lesweken fires (key 19 January). Later the 16 hours of 26
    # January also lie in windows that start on 26 January, inside the first window: they stay blocked.
    youth = _pupil_new_at_school(world, (0, 16))
    assert _absence_keys(world) == ["2026-01-19"]
    for week in (FEB_2, FEB_9):
        youth.absence(week, 0)
    world.scan(date(2026, 2, 13))
    assert _absence_keys(world) == ["2026-01-19"]


def test_the_window_after_one_of_first_lesweken_starts_after_its_last_week(world: World) -> None:
    # The first window is 19 and 26 January (raised on 30 January); the next one may start on 2 February, and
    # 4 hours in each of 2, 9 and 23 February (the voorjaarsvakantie between) and 2 March make 16 there.
    youth = _pupil_new_at_school(world, (6, 10))
    for week in (FEB_2, FEB_9, FEB_23, MAR_2):
        youth.absence(week, 4)
    world.scan(date(2026, 3, 6))
    assert _absence_keys(world) == ["2026-01-19", "2026-02-02"]


def test_a_youth_changing_schools_gets_one_signal_for_overlapping_windows(world: World) -> None:
    # The old school's window of 12 January .. 2 February makes 16 hours; the new school's first report, of
    # 2 February (the week of the change, reported by both), holds 16 hours too. One scan sees both windows:
    # the later one overlaps the earlier, so it raises nothing, as it would after a stored signal.
    new_school = make_partner(["school"], brins=[OTHER_BRIN])
    youth = world.youth(PUPIL)
    youth.enrol(date(2025, 8, 18))
    for week, hours in ((JAN_12, 0), (JAN_19, 4), (JAN_26, 6), (FEB_2, 6)):
        youth.absence(week, hours)
    report = {
        "brin": OTHER_BRIN,
        "weekStart": FEB_2.isoformat(),
        "scheduledHours": 26,
        "unauthorizedHours": 16,
        "authorizedHours": 0,
    }
    world.queue(new_school, "education.absence-reported", report, youth.person)
    world.scan(date(2026, 2, 6))
    [signal] = of_type(world.signals(world.partners.leerplicht), "absence-16h")
    assert signal["dedupeKey"] == "2026-01-12"
    assert signal["reasons"][0]["facts"]["brin"] == SCHOOL_BRIN


def test_a_window_that_ended_beyond_the_lookback_raises_nothing(world: World) -> None:
    youth = world.youth(PUPIL)
    youth.enrol(date(2025, 8, 18))
    for week in (JAN_12, JAN_19, JAN_26, FEB_2):
        youth.absence(week, 4)
    # The window ended on 8 February; 28 days later is 8 March.
    world.scan(date(2026, 3, 9))
    assert world.signals(world.partners.leerplicht) == []
    world.scan(date(2026, 3, 8))
    assert len(of_type(world.signals(world.partners.leerplicht), "absence-16h")) == 1


def test_leerplicht_ends_on_31_july_of_the_school_year_of_the_16th_birthday(world: World) -> None:
    # Born 1 March 2010: 16 on 1 March 2026, so leerplichtig until 31 July 2026, then kwalificatieplichtig.
    youth = world.youth(date(2010, 3, 1))
    youth.enrol(date(2025, 8, 18), sector="mbo", track="mbo-2", grade=1)
    for week in (JAN_12, JAN_19, JAN_26, FEB_2):
        youth.absence(week, 4)
    world.scan(date(2026, 2, 6))
    september = [date(2026, 8, 31) + timedelta(weeks=i) for i in range(4)]
    for week in september:
        youth.absence(week, 4)
    world.scan(date(2026, 9, 25))
    signals = sorted(of_type(world.signals(world.partners.leerplicht), "absence-16h"), key=lambda s: s["dedupeKey"])
    assert [s["dedupeKey"] for s in signals] == ["2026-01-12", "2026-08-31"]
    assert "leerplichtig" in {r["code"] for r in signals[0]["reasons"]}
    assert "kwalificatieplichtig" in {r["code"] for r in signals[1]["reasons"]}


def test_kwalificatieplicht_ends_at_18(world: World) -> None:
    # 18 on 2 February 2026, the Monday of the window's last week: no longer kwalificatieplichtig.
    turns_18 = world.youth(date(2008, 2, 2))
    # 18 on 3 February: still kwalificatieplichtig on the Monday of the last week.
    turns_18_later = world.youth(date(2008, 2, 3))
    for youth in (turns_18, turns_18_later):
        youth.enrol(date(2025, 8, 18), sector="mbo", track="mbo-2", grade=2)
        for week in (JAN_12, JAN_19, JAN_26, FEB_2):
            youth.absence(week, 4)
    world.scan(date(2026, 2, 6))
    [signal] = of_type(world.signals(world.partners.leerplicht), "absence-16h")
    assert "kwalificatieplichtig" in {r["code"] for r in signal["reasons"]}


def test_kwalificatieplicht_ends_with_a_startkwalificatie(world: World) -> None:
    qualified = world.youth(date(2009, 6, 1))
    unqualified = world.youth(date(2009, 6, 1))
    for youth in (qualified, unqualified):
        youth.enrol(date(2025, 8, 18), sector="mbo", track="mbo-4", grade=1)
        for week in (JAN_12, JAN_19, JAN_26, FEB_2):
            youth.absence(week, 4)
    qualified.qualify("havo", date(2025, 7, 1))
    world.scan(date(2026, 2, 6))
    assert len(of_type(world.signals(world.partners.leerplicht), "absence-16h")) == 1


def test_long_term_absence_needs_four_fully_absent_lesweken_and_escalates_after_three_months(world: World) -> None:
    four = world.youth(PUPIL)
    three = world.youth(PUPIL)
    for youth, weeks in ((four, (JAN_12, JAN_19, JAN_26, FEB_2)), (three, (JAN_19, JAN_26, FEB_2))):
        youth.enrol(date(2025, 8, 18))
        for week in weeks:
            youth.absence(week, 23.4)  # 90% of 26 hours
    three.absence(JAN_12, 23.3)  # just under 90%
    world.scan(date(2026, 2, 6))
    [signal] = of_type(world.signals(world.partners.leerplicht), "long-term-absence")
    assert signal["severity"] == "high"
    assert signal["dedupeKey"] == "2026-01-12"
    assert signal["deadline"] == "2026-02-11"  # 3 working days
    assert signal["escalated"] is False

    # Acknowledged in time, it is not escalated by its deadline, but by itself 3 months after 12 January.
    response = world.client.patch(
        f"/signals/v1/signals/{signal['id']}",
        json={"status": "acknowledged"},
        headers=world.partners.leerplicht.headers,
    )
    assert response.status_code == 200, response.text
    world.scan(date(2026, 4, 11))
    [signal] = of_type(world.signals(world.partners.leerplicht), "long-term-absence")
    assert signal["escalated"] is True  # deadline passed (acknowledging does not stop the deadline)


def test_thuiszitter_escalates_three_months_after_the_first_week_even_before_its_deadline(world: World) -> None:
    youth = world.youth(PUPIL)
    youth.enrol(date(2025, 8, 18))
    weeks = [
        date(2026, 1, 5) + timedelta(weeks=i) for i in range(14) if date(2026, 1, 5) + timedelta(weeks=i) != FEB_16
    ]
    for week in weeks:
        youth.absence(week, 26)
    # Raised late (on 2 April, while the run still goes on): its deadline is 9 April, but 5 April is 3
    # months after the first absent week (5 January), so it is escalated on 5 April already.
    world.scan(date(2026, 4, 2))
    [signal] = of_type(world.signals(world.partners.leerplicht), "long-term-absence")
    assert signal["escalated"] is False
    world.scan(date(2026, 4, 4))
    assert of_type(world.signals(world.partners.leerplicht), "long-term-absence")[0]["escalated"] is False
    world.scan(date(2026, 4, 5))
    assert of_type(world.signals(world.partners.leerplicht), "long-term-absence")[0]["escalated"] is True


def test_absence_18plus_up_to_22_and_to_26_from_2026(world: World) -> None:
    twenty_three = world.youth(date(2002, 6, 1))  # 23 in 2025 and 2026
    nineteen = world.youth(date(2006, 6, 1))
    for youth in (twenty_three, nineteen):
        youth.enrol(date(2025, 8, 18), sector="mbo", track="mbo-2", grade=1)
        for week in (date(2025, 11, 3), date(2025, 11, 10), date(2025, 11, 17), date(2025, 11, 24)):
            youth.absence(week, 26)
        for week in (JAN_12, JAN_19, JAN_26, FEB_2):
            youth.absence(week, 26)
    world.scan(date(2025, 11, 28))
    signals = of_type(world.signals(world.partners.doorstroompunt), "absence-18plus")
    assert len(signals) == 1  # 2025: up to 22 only
    world.scan(date(2026, 2, 6))
    signals = of_type(world.signals(world.partners.doorstroompunt), "absence-18plus")
    assert len(signals) == 3  # 2026: the 23-year-old too (Wet van school naar duurzaam werk)


def test_absence_18plus_needs_four_fully_absent_lesweken_not_three(world: World) -> None:
    three = world.youth(date(2006, 6, 1))
    three.enrol(date(2025, 8, 18), sector="mbo", track="mbo-2", grade=1)
    for week in (JAN_19, JAN_26, FEB_2):
        three.absence(week, 26)
    three.absence(JAN_12, 20)  # below 90% of 26 hours
    world.scan(date(2026, 2, 6))
    assert of_type(world.signals(world.partners.doorstroompunt), "absence-18plus") == []
    three.absence(FEB_9, 26)
    world.scan(date(2026, 2, 13))
    [signal] = of_type(world.signals(world.partners.doorstroompunt), "absence-18plus")
    assert signal["dedupeKey"] == "2026-01-19"
