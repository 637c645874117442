# SPDX-License-Identifier: EUPL-1.2
"""`glansrijk scan [--date D]`: pending events first, then the daily evaluation as of D; safe to run twice."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from services.core.db import get_engine
from services.core.settings import reset_settings
from tests.cli.test_cli import OIN_LEERPLICHT, OIN_MUNICIPALITY, OIN_SCHOOL, cli, cli_partner, registered
from tests.factories import bsn, event, post


def test_scan_exits_2_without_a_municipality_partner() -> None:
    result = cli("scan", "--date", "2026-02-06")
    assert result.exit_code == 2
    assert "municipality" in result.stderr


def test_scan_rejects_a_malformed_date() -> None:
    cli_partner("municipality", OIN_MUNICIPALITY)
    result = cli("scan", "--date", "6-2-2026")
    assert result.exit_code == 2


def test_scan_raises_as_of_its_date_and_nothing_more_the_second_time(
    client: TestClient, settings_env: pytest.MonkeyPatch
) -> None:
    municipality = cli_partner("municipality", OIN_MUNICIPALITY)
    school = cli_partner("school", OIN_SCHOOL, "--brin", "12AB")
    cli_partner("leerplicht", OIN_LEERPLICHT)
    # Posted with the clock on 1 January: the absence weeks lie ahead, so the evaluation after posting raises nothing.
    settings_env.setenv("GLANSRIJK_TODAY", "2026-01-01")
    reset_settings()
    number = bsn()
    weeks = [date(2026, 1, 12) + timedelta(weeks=i) for i in range(4)]
    hours = {"scheduledHours": 26, "unauthorizedHours": 4, "authorizedHours": 0, "brin": "12AB"}
    absences = [
        event(school, "education.absence-reported", {**hours, "weekStart": w.isoformat()}, person={"bsn": number})
        for w in weeks
    ]
    assert post(client, school, absences).status_code == 202
    assert post(client, municipality, registered(municipality, number)).status_code == 202

    first = cli("scan", "--date", "2026-02-06", "--json")
    assert first.exit_code == 0, first.output
    summary = json.loads(first.stdout)
    assert summary["date"] == "2026-02-06"
    assert summary["raised"] == 1
    with get_engine().connect() as connection:
        assert connection.execute(text("SELECT type FROM signals")).scalars().all() == ["absence-16h"]
        assert connection.execute(text("SELECT count(*) FROM event_batches WHERE evaluated_at IS NULL")).scalar() == 0

    again = cli("scan", "--date", "2026-02-06", "--json")
    assert again.exit_code == 0
    assert json.loads(again.stdout)["raised"] == 0


def test_scan_warns_beyond_the_school_holiday_data() -> None:
    cli_partner("municipality", OIN_MUNICIPALITY)
    result = cli("scan", "--date", "2031-01-15")
    assert result.exit_code == 0, result.output
    assert "no school holiday data" in result.stderr
