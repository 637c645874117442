# SPDX-License-Identifier: EUPL-1.2
"""Edge cases found in review: decimals, a replay before a birth date, a move within the municipality,
retracting the unenrolment a thuiszitter signal rests on, and a job whose start is not known."""

from __future__ import annotations

from datetime import date

import pytest

from tests.signals.support import World, of_type


@pytest.fixture
def complete(world: World) -> World:
    world.env.setenv("GLANSRIJK_EDUCATION_DATA_COMPLETE", "true")
    return world


def test_sixteen_hours_with_decimals_is_sixteen(world: World) -> None:
    youth = world.youth(date(2011, 5, 5))
    youth.enrol(date(2025, 8, 18))
    # 2.8 + 5.6 + 7.6 + 0 is 15.999999999999998 in binary floating point.
    for week, hours in zip(
        (date(2026, 1, 12), date(2026, 1, 19), date(2026, 1, 26), date(2026, 2, 2)), (2.8, 5.6, 7.6, 0), strict=True
    ):
        youth.absence(week, hours)
    world.scan(date(2026, 2, 6))
    assert len(of_type(world.signals(world.partners.leerplicht), "absence-16h")) == 1


def test_a_scan_of_a_date_before_a_youths_birth_raises_nothing_and_does_not_fail(complete: World) -> None:
    baby = complete.youth(date(2026, 5, 1))
    baby.care(date(2026, 5, 2))
    older = complete.youth(date(2011, 5, 5))
    older.enrol(date(2025, 8, 18), end=date(2026, 1, 9))
    outcome = complete.scan(date(2026, 1, 30))
    assert outcome.youths == 2
    assert len(of_type(complete.signals(complete.partners.leerplicht), "absolute-absence")) == 1


def test_a_move_within_the_municipality_does_not_start_a_new_run(complete: World) -> None:
    adult = complete.youth(date(2004, 6, 1), registered=date(2015, 1, 1))
    complete.scan(date(2026, 1, 16))
    keys = {s["type"]: s["dedupeKey"] for s in complete.signals(complete.partners.doorstroompunt)}
    assert keys["no-startkwalificatie"] == keys["out-of-view"] == "2015-01-01"
    # A new address in the same municipality: another person.registered, no deregistration in between.
    complete.queue(
        complete.partners.municipality,
        "person.registered",
        {"since": "2026-02-02", "districtCode": "WK050502"},
        {"bsn": adult.bsn, "birthDate": "2004-06-01"},
    )
    complete.scan(date(2026, 2, 20))
    complete.scan(date(2026, 5, 10))
    assert len(complete.signals(complete.partners.doorstroompunt)) == 2


def test_retracting_the_unenrolment_dismisses_the_thuiszitter_signal(complete: World) -> None:
    youth = complete.youth(date(2011, 5, 5))
    episode = youth.enrol(date(2025, 8, 18))
    mistake = youth.unenrol(episode, date(2026, 1, 9))
    complete.scan(date(2026, 1, 23))
    [signal] = of_type(complete.signals(complete.partners.leerplicht), "absolute-absence")
    complete.queue(complete.partners.school, "event.retracted", {"retractedId": mistake}, youth.person)
    complete.scan(date(2026, 1, 23))
    detail = complete.client.get(
        f"/signals/v1/signals/{signal['id']}", headers=complete.partners.leerplicht.headers
    ).json()
    assert detail["status"] == "dismissed"


def test_a_job_whose_start_is_not_known_still_counts_as_in_view_until_its_end(complete: World) -> None:
    youth = complete.youth(date(2004, 6, 1), registered=date(2020, 1, 1))
    youth.qualify("havo", date(2022, 7, 1))
    # Only the end of the job was posted (it started before the partner's history was loaded).
    complete.queue(
        complete.partners.social, "work.employment-ended", {"episodeId": "old-job", "date": "2026-03-01"}, youth.person
    )
    complete.scan(date(2026, 3, 10))
    assert of_type(complete.signals(complete.partners.municipality), "out-of-view") == []
    complete.scan(date(2026, 5, 30))  # day 90 of the run from 2 March
    [signal] = of_type(complete.signals(complete.partners.municipality), "out-of-view")
    assert signal["dedupeKey"] == "2026-03-02"
