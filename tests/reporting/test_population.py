# SPDX-License-Identifier: EUPL-1.2
"""Population indicators on hand-made youths: the right answers are worked out here, by hand.

Month-end 31 January 2026. Ages count whole years; a birthday counts from that day on.
"""

from __future__ import annotations

from datetime import date

from services.core.db import transaction
from services.core.dispatch import wait_for_tasks
from services.core.models import ReportingMonthEnd
from services.reporting import refresh
from services.reporting.tasks import run_refresh
from tests.factories import TestPartner
from tests.reporting.support import ReportWorld, cell

JAN = {"period": "month", "from": "2026-01-01", "to": "2026-01-31"}


def test_participation_and_neet_with_age_bands_at_a_birthday(world: ReportWorld, reader: TestPartner) -> None:
    world.exact()
    a = world.resident(date(2010, 1, 31))  # 16 on the day itself: 16-17, counted among 16-26
    a.enrol(date(2025, 8, 18), sector="vo", track="havo", grade=4)
    world.resident(date(2010, 2, 1))  # 16 one day later: still 15 on 31 January, 12-15, not among 16-26
    c = world.resident(date(2003, 1, 31))  # 23 that day: 23-26
    c.job(date(2025, 9, 1))
    world.resident(date(1999, 2, 1))  # 26 (27 tomorrow): 23-26, neither enrolled nor employed
    world.resident(date(1999, 1, 31))  # 27 that day: outside the target group
    world.resident(date(2008, 2, 29))  # 17: 16-17, neither
    h = world.resident(date(2005, 6, 15))  # 20: 18-22, enrolled in mbo
    h.enrol(date(2025, 9, 1), sector="mbo", track="mbo-2", grade=1)
    world.refresh(date(2026, 2, 1), date(2026, 1, 31))

    participation = world.observations(reader, "participation-rate", **JAN, by="ageBand")
    # 16-26: a, c, the 26-year-old, the 17-year-old, h = 5; enrolled or employed: a, c, h = 3.
    assert cell(participation, ageBand="T001") | {} == {
        "period": "2026MM01",
        "periodStart": "2026-01-01",
        "ageBand": "T001",
        "value": 60.0,
        "numerator": 3,
        "denominator": 5,
        "suppressed": False,
    }
    assert (cell(participation, ageBand="16-17")["numerator"], cell(participation, ageBand="16-17")["denominator"]) == (
        1,
        2,
    )
    assert cell(participation, ageBand="23-26")["denominator"] == 2
    assert cell(participation, ageBand="18-22")["value"] == 100.0
    # Nobody aged 12-15 is among 16-26: a ratio over nobody has no value, and nothing to hide. (The BRP always
    # gives a birth date, so a registered youth is never `unknown`.)
    for band in ("12-15", "unknown"):
        row = cell(participation, ageBand=band)
        assert (row["value"], row["numerator"], row["denominator"], row["suppressed"]) == (None, 0, 0, False)

    neet = world.observations(reader, "neet-rate", **JAN)
    assert [(r["value"], r["numerator"], r["denominator"]) for r in neet] == [(40.0, 2, 5)]

    # By the sector of the current enrolment: a in vo, h in mbo, the other three of 16-26 in none.
    groups = world.observations(reader, "participation-rate", **JAN, by="sector")
    assert cell(groups, sector="mbo")["denominator"] == 1
    assert cell(groups, sector="vo")["denominator"] == 1
    assert cell(groups, sector="none")["denominator"] == 3


def test_refresh_recomputes_only_the_month_ends_a_late_event_reaches(world: ReportWorld, reader: TestPartner) -> None:
    world.exact()
    youths = [world.resident(date(2005, 6, 1)) for _ in range(3)]  # three 20-year-olds, none working
    world.env.setenv("GLANSRIJK_TODAY", "2026-03-05")
    world.flush()
    # A first refresh that stopped after February (a killed task): February is kept with its marks ...
    with transaction() as session:
        work = refresh.plan(session, date(2026, 3, 5), date(2026, 2, 28))
        refresh.refresh_month_end(session, date(2026, 2, 28), None, work.upto)
    # ... and the next one does January only.
    first = run_refresh(date(2026, 3, 5), date(2026, 1, 31))
    assert (first.month_ends, first.youth_months) == ([date(2026, 1, 31)], 3)
    again = run_refresh(date(2026, 3, 5), date(2026, 1, 31))
    assert (again.month_ends, again.youth_months) == ([], 0)  # nothing changed: nothing recomputed

    youths[0].job(date(2026, 2, 10))  # dated in February: January stays as it was
    world.flush()
    february = run_refresh(date(2026, 3, 5), date(2026, 1, 31))
    assert (february.month_ends, february.youth_months) == ([date(2026, 2, 28)], 1)
    youths[1].job(date(2026, 1, 5))  # dated in January: both month-ends
    world.flush()
    both = run_refresh(date(2026, 3, 5), date(2026, 1, 31))
    assert (both.month_ends, both.youth_months) == ([date(2026, 1, 31), date(2026, 2, 28)], 2)
    neet = world.observations(reader, "neet-rate", period="month", **{"from": "2026-01-01", "to": "2026-02-28"})
    # January: only the second had a job (from 5 January); February: both.
    assert [(r["period"], r["numerator"], r["denominator"]) for r in neet] == [("2026MM01", 2, 3), ("2026MM02", 1, 3)]


def test_the_beat_task_refreshes_by_its_name(world: ReportWorld, reader: TestPartner) -> None:
    from services.core.celery_app import celery_app

    world.exact()
    world.resident(date(2005, 6, 1))
    world.env.setenv("GLANSRIJK_TODAY", "2026-02-10")
    world.flush()
    celery_app.loader.import_default_modules()
    assert celery_app.conf.beat_schedule["reporting-refresh"]["task"] == "reporting.refresh"
    # The planning task hands each month-end to the workers (embedded: the in-process thread).
    celery_app.tasks["reporting.refresh"].apply(kwargs={"first": "2026-01-31"}).get()
    wait_for_tasks()
    # A duplicate of a month-end's task (redelivered) finds nothing left to do.
    with transaction(read_only=True) as session:
        computed_at = session.get(ReportingMonthEnd, date(2026, 1, 31))
        assert computed_at is not None
        before = computed_at.refreshed_at
    celery_app.tasks["reporting.refresh_month_end"].apply(args=["2026-01-31"]).get()
    with transaction(read_only=True) as session:
        again = session.get(ReportingMonthEnd, date(2026, 1, 31))
        assert again is not None and again.refreshed_at == before
    neet = world.observations(reader, "neet-rate", **JAN)
    assert [(r["numerator"], r["denominator"]) for r in neet] == [(1, 1)]
