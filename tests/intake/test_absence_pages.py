# SPDX-License-Identifier: EUPL-1.2
"""Where absence_weeks puts a new week (ADR 0040): at the end of the table, not into the gap a school's
correction of an older week left on a random old page.

With every page filled to the brim, a correction cannot stay on its row's page: the new version goes elsewhere
and, once vacuumed, leaves a gap of one row behind. The next week's reports then went one by one into those
gaps, each a page of its own (at 100,000 youths a third of the table's pages had one). With a tenth of each
page kept free, the correction stays on its page and the new week goes to the end. The control, with the
pages filled to the brim again, shows the test can see the difference.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import text

from services.core.db import get_engine
from services.core.models.state import ABSENCE_WEEKS_FILLFACTOR
from tests.factories import bsn, event, post
from tests.intake.support import VALID, Partners

YOUTHS = 400
CORRECTED_EVERY = 20  # at most two corrections on a page: they fit in its free tenth
FIRST_WEEK, NEXT_WEEK = "2026-02-02", "2026-02-09"


@pytest.fixture(params=["kept free", "filled to the brim"])
def pages(request: pytest.FixtureRequest) -> Iterator[str]:
    """The table's pages as the migrations leave them, or (the control) filled completely, restored after."""
    if request.param == "filled to the brim":
        _set_fillfactor(100)
    try:
        yield request.param
    finally:
        _set_fillfactor(ABSENCE_WEEKS_FILLFACTOR)


def _set_fillfactor(percent: int) -> None:
    with get_engine().begin() as connection:
        connection.execute(text(f"ALTER TABLE absence_weeks SET (fillfactor = {percent})"))


def _week(partners: Partners, numbers: list[str], week: str, prefix: str, hour: int) -> list[dict[str, Any]]:
    # Ids of one length, so that every row of the test is as wide as every other (the versions carry them).
    data = {**VALID["education.absence-reported"][1], "weekStart": week, "unauthorizedHours": hour}
    moment = datetime(2026, 2, 20, hour, tzinfo=UTC)
    return [
        event(
            partners.school, "education.absence-reported", data, person={"bsn": n}, time=moment, id_=f"{prefix}{i:04d}"
        )
        for i, n in enumerate(numbers)
    ]


def _vacuum() -> None:
    """What autovacuum does in its own time: the dead versions' space recorded as free."""
    with get_engine().connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("VACUUM absence_weeks"))


def _pages(prefix: str) -> set[int]:
    with get_engine().connect() as connection:
        found = connection.execute(
            text("SELECT DISTINCT (ctid::text::point)[0]::bigint FROM absence_weeks WHERE version LIKE :pattern"),
            {"pattern": f"%|{prefix}%"},
        ).scalars()
        return set(found)


def test_a_new_week_goes_to_the_end_not_into_the_gaps_corrections_left(
    client: Any, partners: Partners, pages: str
) -> None:
    numbers = [bsn() for _ in range(YOUTHS)]
    assert post(client, partners.school, _week(partners, numbers, FIRST_WEEK, "pages-a-", 6)).status_code == 202
    corrections = _week(partners, numbers[::CORRECTED_EVERY], FIRST_WEEK, "pages-c-", 9)
    assert post(client, partners.school, corrections).status_code == 202
    _vacuum()

    assert post(client, partners.school, _week(partners, numbers, NEXT_WEEK, "pages-b-", 6)).status_code == 202

    first_week = _pages("pages-a-")  # the pages of the first week's reports that were never corrected
    shared = (_pages("pages-b-") & first_week) - {max(first_week)}  # its last page may take the next ones
    if pages == "kept free":
        assert not shared
    else:
        assert len(shared) >= len(first_week) // 2  # most of the first week's pages had a gap to fill
