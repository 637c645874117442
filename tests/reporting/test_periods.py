# SPDX-License-Identifier: EUPL-1.2
"""Period codes (CBS style), whole periods only, and the age bands at a birthday."""

from __future__ import annotations

from datetime import date

import pytest
from fastapi.testclient import TestClient

from services.reporting.periods import age_band, parse_period, periods_between, periods_ending_on
from tests.factories import TestPartner
from tests.reporting.support import BASE


def test_codes_of_each_kind() -> None:
    assert [p.code for p in periods_between("month", date(2025, 11, 15), date(2026, 2, 27))] == ["2025MM12", "2026MM01"]
    assert [p.code for p in periods_between("quarter", date(2025, 1, 1), date(2025, 12, 31))] == [
        "2025KW01",
        "2025KW02",
        "2025KW03",
        "2025KW04",
    ]
    assert [p.code for p in periods_between("year", date(2024, 1, 2), date(2026, 1, 1))] == ["2025JJ00"]
    school_year = periods_between("school-year", date(2025, 8, 1), date(2026, 7, 31))
    assert [(p.code, p.start, p.end) for p in school_year] == [("2025SJ00", date(2025, 8, 1), date(2026, 7, 31))]
    # 31 July 2026 ends a month and a school year, 31 December 2025 a month, a quarter and a year.
    assert [p.code for p in periods_ending_on(date(2026, 7, 31))] == ["2026MM07", "2025SJ00"]
    assert [p.code for p in periods_ending_on(date(2025, 12, 31))] == ["2025MM12", "2025KW04", "2025JJ00"]
    assert parse_period("2024MM02").end == date(2024, 2, 29)
    for bad in ("2025MM13", "2025KW05", "2025JJ01", "25MM01", "2025XX00"):
        with pytest.raises(ValueError):
            parse_period(bad)


def test_age_bands_change_on_the_birthday() -> None:
    assert age_band(date(2010, 3, 31), date(2026, 3, 30)) == "12-15"
    assert age_band(date(2010, 3, 31), date(2026, 3, 31)) == "16-17"
    assert age_band(date(2004, 2, 29), date(2022, 2, 28)) == "16-17"  # a 29 February birthday: 1 March
    assert age_band(date(2004, 2, 29), date(2022, 3, 1)) == "18-22"
    assert age_band(date(1999, 4, 30), date(2026, 4, 30)) == "unknown"  # 27: outside the target group
    assert age_band(None, date(2026, 4, 30)) == "unknown"


def test_openapi_documents_the_reporting_paths(client: TestClient, reader: TestPartner) -> None:
    document = client.get(f"{BASE}/openapi.json")
    assert document.status_code == 200 and document.headers["access-control-allow-origin"] == "*"
    paths = document.json()["paths"]
    for path in (
        "/reporting/v1/indicators",
        "/reporting/v1/indicators/{code}/observations",
        "/reporting/v1/groups",
        "/reporting/v1/measurements",
        "/reporting/v1/measurements/{measurement_id}/comparison",
        "/reporting/v1/odata",
    ):
        assert path in paths
    assert client.get(f"{BASE}/health").json() == {"status": "ok"}
    assert client.get(f"{BASE}/indicators", headers=reader.headers).headers["api-version"]
