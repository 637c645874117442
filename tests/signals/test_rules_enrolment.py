# SPDX-License-Identifier: EUPL-1.2
"""Not enrolled, no startkwalificatie, mbo applications, out of view, relapse, dropout risk: at thresholds."""

from __future__ import annotations

from datetime import date

import pytest

from tests.signals.support import World, of_type


@pytest.fixture
def complete(world: World) -> World:
    """The operator declared the education data complete: the "not enrolled anywhere" rules run."""
    world.env.setenv("GLANSRIJK_EDUCATION_DATA_COMPLETE", "true")
    return world


def test_absolute_absence_after_two_lesweken_not_enrolled(complete: World) -> None:
    youth = complete.youth(date(2011, 5, 5))
    youth.enrol(date(2025, 8, 18), end=date(2026, 1, 23))  # a Friday: not enrolled from 24 January
    complete.scan(date(2026, 2, 5))  # one whole lesweek (26 January) and part of the next
    assert of_type(complete.signals(complete.partners.leerplicht), "absolute-absence") == []
    complete.scan(date(2026, 2, 6))  # the Friday that completes the second lesweek
    [signal] = of_type(complete.signals(complete.partners.leerplicht), "absolute-absence")
    assert signal["dedupeKey"] == "2026-01-24"
    assert signal["severity"] == "high"


def test_not_enrolled_rules_wait_for_complete_education_data(world: World) -> None:
    youth = world.youth(date(2011, 5, 5))
    youth.enrol(date(2025, 8, 18), end=date(2026, 1, 23))
    world.scan(date(2026, 2, 20))
    assert world.signals(world.partners.leerplicht) == []


def test_no_startkwalificatie_from_18_to_26(complete: World) -> None:
    adult = complete.youth(date(2005, 1, 1))  # 21
    qualified = complete.youth(date(2005, 1, 1))
    too_old = complete.youth(date(1999, 1, 1))  # 27 in 2026
    for youth in (adult, qualified, too_old):
        youth.enrol(date(2025, 8, 18), sector="mbo", track="mbo-1", grade=1, end=date(2026, 1, 23))
    qualified.qualify("mbo-2", date(2024, 7, 1))
    complete.scan(date(2026, 2, 6))
    [signal] = of_type(complete.signals(complete.partners.doorstroompunt), "no-startkwalificatie")
    assert signal["dedupeKey"] == "2026-01-24"
    assert signal["deadline"] == "2026-02-20"  # 10 working days


def test_mbo_not_applied_from_2_april(world: World) -> None:
    pupil = world.youth(date(2010, 1, 1))
    pupil.enrol(date(2025, 8, 18), track="vmbo-kb", grade=4, final_year=True)
    applied_on_time = world.youth(date(2010, 1, 1))
    applied_on_time.enrol(date(2025, 8, 18), track="vmbo-kb", grade=4, final_year=True)
    applied_on_time.mbo_applied(date(2026, 4, 1))
    pro = world.youth(date(2010, 1, 1))
    pro.enrol(date(2025, 8, 18), sector="pro", track="pro", grade=4, final_year=True, outflow="vervolgonderwijs")
    pro_work = world.youth(date(2010, 1, 1))
    pro_work.enrol(date(2025, 8, 18), sector="pro", track="pro", grade=4, final_year=True, outflow="arbeidsmarkt")
    world.scan(date(2026, 4, 1))
    assert of_type(world.signals(world.partners.school), "mbo-not-applied") == []
    world.scan(date(2026, 4, 2))
    signals = of_type(world.signals(world.partners.school), "mbo-not-applied")
    assert len(signals) == 2
    assert {s["dedupeKey"] for s in signals} == {"2025-2026"}
    assert {s["routedTo"] for s in signals} == {world.partners.school.id}


def test_out_of_view_after_90_days(complete: World) -> None:
    # 20 years old, qualified; the job ended on 31 January 2026: out of view from 1 February, day 90 is 1 May.
    qualified = complete.youth(date(2006, 1, 1))
    qualified.qualify("havo", date(2024, 7, 1))
    qualified.job(date(2025, 9, 1), date(2026, 1, 31))
    unqualified = complete.youth(date(2006, 1, 1))
    unqualified.job(date(2025, 9, 1), date(2026, 1, 31))
    complete.scan(date(2026, 4, 30))
    assert of_type(complete.signals(complete.partners.municipality), "out-of-view") == []
    complete.scan(date(2026, 5, 1))
    [to_municipality] = of_type(complete.signals(complete.partners.municipality), "out-of-view")
    [to_doorstroompunt] = of_type(complete.signals(complete.partners.doorstroompunt), "out-of-view")
    assert to_municipality["dedupeKey"] == to_doorstroompunt["dedupeKey"] == "2026-02-01"
    assert to_municipality["severity"] == "low"


def test_a_support_contact_keeps_a_youth_in_view(complete: World) -> None:
    youth = complete.youth(date(2006, 1, 1))
    youth.job(date(2025, 9, 1), date(2026, 1, 31))
    youth.contact(date(2026, 3, 1))
    complete.scan(date(2026, 5, 1))
    assert of_type(complete.signals(complete.partners.doorstroompunt), "out-of-view") == []


def test_relapse_within_12_months_after_a_successful_trajectory(world: World) -> None:
    # The trajectory ended on 1 March 2025 with work. One youth loses the job within 12 months, one after.
    within = world.youth(date(2003, 1, 1))
    ended_id = within.trajectory(date(2024, 9, 1), date(2025, 3, 1), outcome="work")
    within.job(date(2025, 3, 1), date(2026, 2, 28))  # not employed from 1 March 2026: within 12 months
    after = world.youth(date(2003, 1, 1))
    after.trajectory(date(2024, 9, 1), date(2025, 3, 1), outcome="work")
    after.job(date(2025, 3, 1), date(2026, 3, 1))  # not employed from 2 March 2026: after 12 months
    world.scan(date(2026, 3, 29))  # day 29 without work
    assert of_type(world.signals(world.partners.youth_coach), "relapse") == []
    world.scan(date(2026, 4, 1))
    [signal] = of_type(world.signals(world.partners.youth_coach), "relapse")
    assert signal["dedupeKey"] == ended_id
    assert signal["routedTo"] == world.partners.youth_coach.id


def _transferred_to_mbo(world: World, *, earlier_dropout: bool) -> None:
    """A youth that moved mid-year from vmbo at another school (posted by leerplicht, facts from DUO) to a first
    mbo year: transfer (1) + first-year mbo (1), plus earlier dropout (2) when asked: 2 or 4 points."""
    leerplicht = world.partners.leerplicht
    youth = world.youth(date(2009, 9, 1))
    if earlier_dropout:
        youth.enrol(date(2023, 8, 21), track="vmbo-kb", grade=2, end=date(2024, 3, 1), brin="34CD", by=leerplicht)
    youth.enrol(
        date(2024, 8, 19),
        track="vmbo-kb",
        grade=3,
        end=date(2025, 10, 31),
        brin="34CD",
        reason="transfer",
        by=leerplicht,
    )
    youth.enrol(date(2025, 11, 3), sector="mbo", track="mbo-2", grade=1)


def test_dropout_risk_fires_at_the_threshold(world: World) -> None:
    _transferred_to_mbo(world, earlier_dropout=True)  # 4 points
    _transferred_to_mbo(world, earlier_dropout=False)  # 2 points
    world.scan(date(2026, 1, 15))
    [signal] = of_type(world.signals(world.partners.school), "dropout-risk")
    codes = {r["code"]: r["facts"] for r in signal["reasons"]}
    assert codes["risk-score"]["points"] == 4
    assert set(codes) == {"risk-score", "first-year-mbo", "earlier-dropout", "mid-year-transfer"}
    assert signal["dedupeKey"] == "2025-2026"
    assert signal["routedTo"] == world.partners.school.id


def test_scanning_twice_raises_nothing_new(complete: World) -> None:
    youth = complete.youth(date(2011, 5, 5))
    youth.enrol(date(2025, 8, 18), end=date(2026, 1, 23))
    complete.scan(date(2026, 2, 10))
    assert len(complete.signals(complete.partners.leerplicht)) == 1
    again = complete.scan(date(2026, 2, 10))
    next_day = complete.scan(date(2026, 2, 11))
    assert again.raised == next_day.raised == []
    assert len(complete.signals(complete.partners.leerplicht)) == 1


def test_dropout_risk_one_point_below_the_threshold_raises_nothing(world: World) -> None:
    # The same 4-point youth as above against GLANSRIJK_RISK_THRESHOLD=5.
    world.env.setenv("GLANSRIJK_RISK_THRESHOLD", "5")
    _transferred_to_mbo(world, earlier_dropout=True)
    world.scan(date(2026, 1, 15))
    assert of_type(world.signals(world.partners.school), "dropout-risk") == []
