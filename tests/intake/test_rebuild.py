# SPDX-License-Identifier: EUPL-1.2
"""`glansrijk rebuild-state`: the state replayed from the event store equals the state built on arrival."""

from __future__ import annotations

from typing import Any

from sqlalchemy import text
from typer.testing import CliRunner

from services.cli import admin
from services.cli.main import app
from services.core.db import get_engine
from tests.factories import bsn, event, post
from tests.intake.support import SCHOOL_BRIN, STATE_TABLES, VALID, Partners, count, person_for, state

KEEP = frozenset({"youth_id", "event_seq"})  # the same youths and events before and after; only surrogate ids differ


def _post_varied(client: Any, partners: Partners) -> None:
    numbers = [bsn() for _ in range(3)]
    for number in numbers:
        for type_, (role, data) in VALID.items():
            poster = partners.by_role(role)
            assert post(client, poster, event(poster, type_, data, person=person_for(type_, number))).status_code == 202
    school = partners.school
    week = {"brin": SCHOOL_BRIN, "weekStart": "2026-01-05", "scheduledHours": 26, "authorizedHours": 0}
    later = event(
        school,
        "education.absence-reported",
        {**week, "unauthorizedHours": 20},
        person={"bsn": numbers[0]},
        time="2026-01-20T10:00:00Z",
        id_="late",
    )
    earlier = event(
        school,
        "education.absence-reported",
        {**week, "unauthorizedHours": 2},
        person={"bsn": numbers[0]},
        time="2026-01-20T09:00:00Z",
    )
    correction = event(
        school,
        "education.enrolled",
        {**VALID["education.enrolled"][1], "grade": 4, "finalYear": True},
        person={"bsn": numbers[1]},
        time="2026-02-01T00:00:00Z",
    )
    assert post(client, school, [later, earlier, correction]).status_code == 202
    retraction = event(school, "event.retracted", {"retractedId": "late"}, person={"bsn": numbers[0]})
    assert post(client, school, retraction).status_code == 202


def test_rebuild_leaves_every_projection_table_identical(client: Any, partners: Partners) -> None:
    _post_varied(client, partners)
    before = state(keep=KEEP)
    assert all(before[t] for t in STATE_TABLES)
    with get_engine().connect() as connection:
        unretracted = connection.execute(text("SELECT count(*) FROM events WHERE NOT retracted")).scalar_one()

    replayed = admin.rebuild_state()

    assert replayed == unretracted
    assert state(keep=KEEP) == before


def test_rebuild_repairs_a_damaged_state(client: Any, partners: Partners) -> None:
    _post_varied(client, partners)
    before = state(keep=KEEP)
    with get_engine().begin() as connection:
        connection.execute(text("DELETE FROM absence_weeks"))
        connection.execute(text("UPDATE episodes SET category = 'zvw'"))
        connection.execute(text("DELETE FROM youth_profiles"))
    assert state(keep=KEEP) != before

    result = CliRunner().invoke(app, ["rebuild-state"])

    assert result.exit_code == 0, result.output
    assert result.output.startswith("state rebuilt from ")
    assert state(keep=KEEP) == before
    assert count("absence_weeks") > 0
