# SPDX-License-Identifier: EUPL-1.2
"""Reporting on the embedded default: SQLite, `glansrijk` processes, the refresh from the command line."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import httpx
import pytest

from tests.cli.test_embedded import BATCH, OIN_MUNICIPALITY, cloud_event, embedded_env, glansrijk, json_out, serving
from tests.factories import bsn

pytestmark = pytest.mark.embedded


def test_reporting_on_sqlite(tmp_path: Path) -> None:
    env = {
        **embedded_env(tmp_path / "r.db"),
        "GLANSRIJK_TODAY": "2026-02-10",
        "GLANSRIJK_EDUCATION_DATA_COMPLETE": "true",
        "GLANSRIJK_DISCLOSURE_K": "1",
        "GLANSRIJK_ROUNDING_BASE": "1",
    }
    assert glansrijk(tmp_path, env, "migrate").returncode == 0
    municipality = json_out(
        tmp_path, env, "partners", "add", "--name", "Gemeente", "--roles", "municipality", "--oin", OIN_MUNICIPALITY
    )["id"]
    key = json_out(
        tmp_path, env, "keys", "create", "--partner", municipality, "--scopes", "events:write,reporting:read"
    )["key"]
    headers = {"Authorization": f"Bearer {key}"}
    births = ["2011-06-01", "2011-07-01", "2005-06-01"]  # two of 14, never enrolled (thuiszitters); one of 20
    events = [
        cloud_event(
            OIN_MUNICIPALITY,
            "person.registered",
            f"reg-{i}",
            {"person": {"bsn": bsn(), "birthDate": birth}, "districtCode": "WK050501", "since": "2012-01-01"},
        )
        for i, birth in enumerate(births)
    ]
    with serving(tmp_path, env) as base:
        posted = httpx.post(f"{base}/intake/v1/events", json=events, headers={**headers, **BATCH}, timeout=30)
        assert posted.status_code == 202, posted.text
        refreshed = json_out(tmp_path, env, "refresh-reports", "--from", "2026-01-31")
        assert refreshed["monthEnds"] == ["2026-01-31"]
        url = f"{base}/reporting/v1/indicators/thuiszitters/observations"
        params = {"period": "month", "from": "2026-01-01", "to": "2026-01-31", "by": "ageBand"}
        rows = httpx.get(url, params=params, headers=headers).json()["items"]
        assert {r["ageBand"]: r["value"] for r in rows} == {
            "T001": 2,
            "12-15": 2,
            "16-17": 0,
            "18-22": 0,
            "23-26": 0,
            "unknown": 0,
        }
        as_csv = httpx.get(url, params=params, headers={**headers, "Accept": "text/csv"})
        assert as_csv.headers["content-type"].startswith("text/csv")
        table = list(csv.reader(io.StringIO(as_csv.text)))
        assert table[0] == ["period", "periodStart", "ageBand", "value", "numerator", "denominator", "suppressed"]
        assert table[1] == ["2026MM01", "2026-01-01", "T001", "2", "2", "", "false"]
        neet = httpx.get(
            f"{base}/reporting/v1/indicators/neet-rate/observations",
            params={"period": "month", "from": "2026-01-01", "to": "2026-01-31"},
            headers=headers,
        ).json()["items"]
        assert [(r["value"], r["numerator"], r["denominator"]) for r in neet] == [(100.0, 1, 1)]
        feed = httpx.get(
            f"{base}/reporting/v1/odata/Observations",
            params={"$filter": "Measure eq 'thuiszitters' and AgeBand eq '12-15'", "$select": "Period,Value"},
            headers=headers,
        ).json()
        assert feed["value"] == [{"Period": "2026MM01", "Value": 2.0}]
        empty = httpx.get(
            url,
            params={"period": "month", "from": "2025-01-01", "to": "2025-01-31"},
            headers={**headers, "Accept": "text/csv"},
        )
        # No rows: the same columns.
        assert empty.text == "period,periodStart,value,numerator,denominator,suppressed\r\n"
