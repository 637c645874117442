# SPDX-License-Identifier: EUPL-1.2
"""Where absence_weeks puts a correction and a new week (ADR 0040).

With every page filled to the brim, a correction cannot stay on its row's page: the new version goes elsewhere
and, once vacuumed, leaves a gap of one row behind, which the next new week fills: a random old page each. With
a tenth of each page kept free, the correction stays on its page and the new week goes to the end of the table.
The control, with the pages filled to the brim again, shows the test can see the difference.
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
# One youth in twenty: the rows land in the order posted, about 37 to a page, so a page holds at most two
# corrected rows, which its free tenth takes.
CORRECTED_EVERY = 20
FIRST_WEEK, NEXT_WEEK = "2026-02-02", "2026-02-09"
BRIM = 100


def _fillfactor_option() -> str | None:
    with get_engine().connect() as connection:
        options = connection.execute(text("SELECT reloptions FROM pg_class WHERE relname = 'absence_weeks'"))
        return next((o for o in options.scalar_one() or [] if o.startswith("fillfactor=")), None)


def _set_fillfactor(percent: int) -> None:
    with get_engine().begin() as connection:
        connection.execute(text(f"ALTER TABLE absence_weeks SET (fillfactor = {percent})"))


@pytest.fixture(params=[ABSENCE_WEEKS_FILLFACTOR, BRIM], ids=["migrated", "filled to the brim"])
def fillfactor(request: pytest.FixtureRequest) -> Iterator[int]:
    """The table as the migrations leave it, or (the control) with its pages filled completely; restored after."""
    _set_fillfactor(request.param)
    try:
        yield request.param
    finally:
        _set_fillfactor(ABSENCE_WEEKS_FILLFACTOR)


def _week(partners: Partners, numbers: list[str], week: str, prefix: str, *, corrected: bool) -> list[dict[str, Any]]:
    # The correction is a later report with other hours. Ids of one length keep every row as wide as every other
    # (the version carries the id), so that a row fits wherever another one left.
    data = {**VALID["education.absence-reported"][1], "weekStart": week, "unauthorizedHours": 9 if corrected else 6}
    moment = datetime(2026, 2, 20, 12 if corrected else 8, tzinfo=UTC)
    type_ = "education.absence-reported"
    return [
        event(partners.school, type_, data, person={"bsn": n}, time=moment, id_=f"{prefix}{i:04d}")
        for i, n in enumerate(numbers)
    ]


def _vacuum() -> None:
    """What autovacuum does in its own time: the dead versions' space recorded as free."""
    with get_engine().connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("VACUUM absence_weeks"))


def _page_of(prefix: str) -> dict[str, int]:
    """The page of each row whose version names an event id starting with `prefix`, by that id."""
    with get_engine().connect() as connection:
        found = connection.execute(
            text(
                "SELECT split_part(version, '|', 3), (ctid::text::point)[0]::bigint FROM absence_weeks"
                " WHERE version LIKE :pattern"
            ),
            {"pattern": f"%|{prefix}%"},
        )
        return {event_id: int(page) for event_id, page in found}


def test_the_migrations_keep_a_tenth_of_each_page_free() -> None:
    assert _fillfactor_option() == f"fillfactor={ABSENCE_WEEKS_FILLFACTOR}"


def test_a_correction_stays_on_its_page_and_a_new_week_goes_to_the_end(
    client: Any, partners: Partners, fillfactor: int
) -> None:
    numbers = [bsn() for _ in range(YOUTHS)]
    assert (
        post(client, partners.school, _week(partners, numbers, FIRST_WEEK, "pa-", corrected=False)).status_code == 202
    )
    before = _page_of("pa-")
    corrections = _week(partners, numbers[::CORRECTED_EVERY], FIRST_WEEK, "pc-", corrected=True)
    assert post(client, partners.school, corrections).status_code == 202
    after, last = _page_of("pc-"), max(before.values())
    # Whether each corrected row stayed on its page; but the last page of the week is not full, and takes any.
    stayed = [
        after[f"pc-{i:04d}"] == page
        for i in range(len(corrections))
        if (page := before[f"pa-{i * CORRECTED_EVERY:04d}"]) != last
    ]
    _vacuum()

    assert post(client, partners.school, _week(partners, numbers, NEXT_WEEK, "pb-", corrected=False)).status_code == 202

    first_week = set(_page_of("pa-").values())  # the pages of the first week's rows that were never corrected
    shared = (set(_page_of("pb-").values()) & first_week) - {max(first_week)}  # its last page may take more
    if fillfactor == ABSENCE_WEEKS_FILLFACTOR:
        assert all(stayed)
        assert not shared
    else:
        assert not any(stayed)
        assert len(shared) >= len(first_week) // 2  # most of the first week's pages had a gap to fill
