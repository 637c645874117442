# SPDX-License-Identifier: EUPL-1.2
"""Strategic indicators over support trajectories; answers worked out here, by hand."""

from __future__ import annotations

from datetime import date

from services.core.settings import reset_settings
from tests.factories import TestPartner
from tests.reporting.support import ReportWorld

JAN = {"period": "month", "from": "2026-01-01", "to": "2026-01-31"}


def test_success_sustained_and_relapse(world: ReportWorld, reader: TestPartner) -> None:
    world.exact()
    world.env.setenv("GLANSRIJK_EDUCATION_DATA_COMPLETE", "false")
    world.env.setenv("GLANSRIJK_GO_LIVE_DATE", "2025-01-01")
    world.env.setenv("GLANSRIJK_TODAY", "2026-02-15")
    reset_settings()
    # Ended in January 2026: education, no-contact, work (on the last day); one on 1 February does not count.
    for birth, end, outcome in (
        (date(2004, 1, 1), date(2026, 1, 10), "education"),
        (date(2004, 1, 2), date(2026, 1, 20), "no-contact"),
        (date(2004, 1, 3), date(2026, 1, 31), "work"),
        (date(2004, 1, 4), date(2026, 2, 1), "work"),
    ):
        world.resident(birth).trajectory(date(2025, 6, 1), end, outcome)
    # Ended in January 2025, the cohort of January 2026 (successful ones only).
    kept = world.resident(date(2003, 1, 1))  # ended 15 January 2025; enrolled on 15 January 2026
    kept.trajectory(date(2024, 6, 1), date(2025, 1, 15), "education")
    kept.enrol(date(2025, 9, 1), sector="mbo", track="mbo-3", grade=1)
    lost = world.resident(date(2003, 1, 2))  # ended 31 January 2025; job ended 31 December 2025
    lost_end = lost.trajectory(date(2024, 6, 1), date(2025, 1, 31), "work")
    lost.job(date(2025, 2, 1), date(2025, 12, 31))
    working = world.resident(date(2003, 1, 3))  # ended 20 January 2025; a job from March 2025 on
    working.trajectory(date(2024, 6, 1), date(2025, 1, 20), "education-and-work")
    working.job(date(2025, 3, 1))
    world.resident(date(2003, 1, 4)).trajectory(date(2024, 6, 1), date(2025, 1, 10), "care")  # not successful
    world.resident(date(2003, 1, 5)).trajectory(date(2024, 6, 1), date(2024, 12, 31), "work")  # December 2024
    # The evaluation that follows the posted events (as of 15 February 2026) raises `relapse` for `lost`: no
    # job for 30 days within 12 months after a successful trajectory.
    world.refresh(date(2026, 2, 15), date(2026, 1, 31))
    relapses = [s for s in world.signals(world.partners.youth_coach) if s["type"] == "relapse"]
    assert [s["dedupeKey"] for s in relapses] == [lost_end]

    success = world.observations(reader, "trajectory-success", **JAN)
    assert [(r["value"], r["numerator"], r["denominator"]) for r in success] == [(66.7, 2, 3)]
    # Cohort: kept, lost, working = 3; enrolled or employed 12 months after their end: kept, working.
    sustained = world.observations(reader, "sustained-12-months", **JAN)
    assert [(r["value"], r["numerator"], r["denominator"]) for r in sustained] == [(66.7, 2, 3)]
    relapse = world.observations(reader, "relapse-rate", **JAN)
    assert [(r["value"], r["numerator"], r["denominator"]) for r in relapse] == [(33.3, 1, 3)]
