# SPDX-License-Identifier: EUPL-1.2
"""Indicators resting on the rules' conditions and on peildata, on hand-made youths; answers worked out here.

Education data is declared complete (the `world` fixture), so "not enrolled anywhere" can be known.
"""

from __future__ import annotations

from datetime import date

from tests.factories import TestPartner
from tests.reporting.support import BASE, ReportWorld

JAN = {"period": "month", "from": "2026-01-01", "to": "2026-01-31"}
FULL_WEEKS = (date(2026, 1, 5), date(2026, 1, 12), date(2026, 1, 19), date(2026, 1, 26))


def test_thuiszitters_out_of_view_and_the_groups(world: ReportWorld, reader: TestPartner) -> None:
    world.exact()
    absent = world.resident(date(2010, 5, 1))  # 15, enrolled, fully absent four lesweken: long-term absence
    absent.enrol(date(2025, 8, 18), sector="vo", track="havo", grade=3)
    for week in FULL_WEEKS:
        absent.absence(week, 26, scheduled=26)
    world.resident(date(2011, 3, 1))  # 14, never enrolled: absolute absence
    exempted = world.resident(date(2011, 3, 1))  # 14, not enrolled but exempted: no thuiszitter
    exempted.exemption(date(2025, 9, 1))
    world.resident(date(1999, 6, 1), district="WK050502")  # 26, never in view: out of view
    gone = world.resident(date(2004, 6, 1))  # 21, job ended 1 October: day 122 on 31 January, out of view
    gone.job(date(2024, 1, 1), date(2025, 10, 1))
    recent = world.resident(date(2004, 6, 1))  # 21, job ended 15 December: day 47, not yet
    recent.job(date(2024, 1, 1), date(2025, 12, 15))
    contact = world.resident(date(2004, 6, 1))  # 21, job ended 1 October but a contact on 1 December: in view
    contact.job(date(2024, 1, 1), date(2025, 10, 1))
    contact.contact(date(2025, 12, 1))
    world.refresh(date(2026, 2, 1), date(2026, 1, 31))

    thuiszitters = world.observations(reader, "thuiszitters", **JAN)
    assert [(r["value"], r["suppressed"]) for r in thuiszitters] == [(2, False)]
    by_district = world.observations(reader, "out-of-view", **JAN, by="district")
    # Every district the cube knows, and `unknown` (always listed, so every request has the same cells).
    assert [(r["district"], r["value"]) for r in by_district] == [
        ("T001", 2),
        ("WK050501", 1),
        ("WK050502", 1),
        ("unknown", 0),
    ]

    groups = world.client.get(f"{BASE}/groups", params={"date": "2026-01-31"}, headers=reader.headers)
    assert groups.status_code == 200, groups.text
    values = {row["group"]: row["value"] for row in groups.json()["items"]}
    # Out of view comes first whatever else holds; nobody has an accountable partner or a signal on 31 January.
    assert values == {"T001": 2, "1-in-view": 0, "2-out-of-view": 2, "3-at-risk": 0}
    per_group = world.observations(reader, "youths-per-group", **JAN, by="group")
    assert {r["group"]: r["value"] for r in per_group} == values


def test_transition_plan_coverage_from_17_and_a_half(world: ReportWorld, reader: TestPartner) -> None:
    world.exact()
    covered = world.resident(date(2008, 7, 15))  # 17.5 on 15 January 2026, plan within 12 months
    covered.care(date(2025, 6, 1))
    covered.plan(date(2025, 3, 1))
    stale = world.resident(date(2008, 6, 30))  # 17.5 on 30 December 2025, plan older than 12 months
    stale.care(date(2025, 6, 1))
    stale.plan(date(2025, 1, 15))
    early = world.resident(date(2008, 8, 1))  # 17.5 only on 1 February 2026: not yet counted
    early.care(date(2025, 6, 1))
    wmo = world.resident(date(2008, 7, 15))  # 17.5 but in wmo care, not jeugdwet
    wmo.care(date(2025, 6, 1), framework="wmo")
    world.refresh(date(2026, 2, 1), date(2026, 1, 31))
    rows = world.observations(reader, "transition-plan-coverage", **JAN)
    assert [(r["value"], r["numerator"], r["denominator"]) for r in rows] == [(50.0, 1, 2)]


def test_new_early_leavers_on_1_october(world: ReportWorld, reader: TestPartner) -> None:
    world.exact()
    school_year = {"period": "school-year", "from": "2024-08-01", "to": "2025-07-31"}
    leaver = world.resident(date(2007, 3, 1))
    leaver.enrol(date(2023, 8, 20), end=date(2025, 6, 30))
    qualified = world.resident(date(2007, 3, 1))
    qualified.enrol(date(2023, 8, 20), end=date(2025, 6, 30), reason="diploma")
    qualified.qualify("havo", date(2025, 7, 1))
    mbo = world.resident(date(2007, 3, 1))
    mbo.enrol(date(2024, 9, 1), sector="mbo", track="mbo-2", grade=1)
    moved_on = world.resident(date(2007, 3, 1))  # left vo, in mbo on 1 October t+1
    moved_on.enrol(date(2023, 8, 20), end=date(2025, 7, 15), reason="transfer")
    moved_on.enrol(date(2025, 9, 1), sector="mbo", track="mbo-3", grade=1)
    too_old = world.resident(date(2001, 9, 30))  # 23 on 30 September 2024: not under 23 on 1 October
    too_old.enrol(date(2024, 9, 1), sector="mbo", track="mbo-2", grade=1, end=date(2025, 1, 1))
    moved_out = world.resident(date(2007, 3, 1))  # deregistered before 1 October t+1: left out of both
    moved_out.enrol(date(2023, 8, 20), end=date(2025, 1, 31))
    world.queue(world.partners.municipality, "person.deregistered", {"date": "2025-03-01", "reason": "moved-out"},
                moved_out.person)  # fmt: skip
    late = world.resident(date(2007, 3, 1))  # enrolled only after 1 October t: not in the cohort
    late.enrol(date(2024, 10, 2), end=date(2025, 2, 1))
    birthday = world.resident(date(2001, 10, 2))  # 23 the day after 1 October 2024: still in the cohort
    birthday.enrol(date(2024, 9, 1), sector="mbo", track="mbo-2", grade=1, end=date(2025, 2, 1))
    # Before 2 October 2025 the school year has no value yet.
    world.refresh(date(2025, 10, 1), date(2025, 7, 31))
    assert world.observations(reader, "new-early-leavers", **school_year) == []
    world.refresh(date(2025, 10, 2), date(2025, 7, 31))
    # Cohort: leaver, qualified, mbo, moved_on, birthday = 5; early leavers: leaver and birthday = 2.
    rows = world.observations(reader, "new-early-leavers", **school_year)
    assert [(r["period"], r["value"], r["numerator"], r["denominator"]) for r in rows] == [("2024SJ00", 40.0, 2, 5)]


def test_mbo_applied_by_1_april(world: ReportWorld, reader: TestPartner) -> None:
    world.exact()
    start = date(2024, 8, 20)
    on_time = world.resident(date(2008, 5, 1))
    on_time.enrol(start, track="vmbo-kb", final_year=True)
    on_time.mbo_applied(date(2025, 3, 15))
    too_late = world.resident(date(2008, 5, 1))
    too_late.enrol(start, track="vmbo-gt", final_year=True)
    too_late.mbo_applied(date(2025, 4, 2))
    pro = world.resident(date(2008, 5, 1))
    pro.enrol(start, sector="pro", track="pro", final_year=True, outflow="vervolgonderwijs")
    pro.mbo_applied(date(2024, 12, 1))
    work = world.resident(date(2008, 5, 1))  # vso towards work: not counted
    work.enrol(start, sector="vso", track="vso", final_year=True, outflow="arbeidsmarkt")
    havo = world.resident(date(2008, 5, 1))  # havo: not counted
    havo.enrol(start, track="havo", final_year=True)
    not_final = world.resident(date(2008, 5, 1))
    not_final.enrol(start, track="vmbo-bb", final_year=False)
    before = world.resident(date(2008, 5, 1))  # applied before 1 August of the school year
    before.enrol(start, track="vmbo-bb", final_year=True)
    before.mbo_applied(date(2024, 7, 20))
    world.refresh(date(2025, 8, 15), date(2025, 7, 31))
    rows = world.observations(reader, "mbo-applied-by-april", period="school-year", **{"from": "2024-08-01"})
    # Final-year pupils: on_time, too_late, pro, before = 4; applied 1 August to 1 April: on_time, pro = 2.
    assert [(r["period"], r["value"], r["numerator"], r["denominator"]) for r in rows] == [("2024SJ00", 50.0, 2, 4)]
