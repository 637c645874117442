# SPDX-License-Identifier: EUPL-1.2
"""Measurements: a baseline taken, events added, and the comparison showing exactly the change."""

from __future__ import annotations

import uuid
from datetime import date

from services.cli import admin
from tests.factories import TestPartner
from tests.reporting.support import BASE, ReportWorld


def test_baseline_then_events_then_exactly_the_change(world: ReportWorld, reader: TestPartner) -> None:
    world.exact()
    world.env.setenv("GLANSRIJK_EDUCATION_DATA_COMPLETE", "false")
    youths = [world.resident(date(2005, 6, 1)) for _ in range(4)]  # four 20-year-olds in WK050501
    youths[0].job(date(2025, 1, 1))
    world.refresh(date(2026, 2, 10), date(2026, 1, 31))

    created = world.client.post(
        f"{BASE}/measurements", json={"label": "0-meting", "date": "2026-01-31"}, headers=reader.headers
    )
    assert created.status_code == 201, created.text
    baseline = created.json()
    assert created.headers["location"] == f"{BASE}/measurements/{baseline['id']}"
    assert (baseline["label"], baseline["date"]) == ("0-meting", "2026-01-31")
    frozen = world.client.get(f"{BASE}/measurements/{baseline['id']}", headers=reader.headers).json()["items"]
    neet = [v for v in frozen if v["measure"] == "neet-rate" and v["dimension"] == "total"]
    # 31 January is a month-end only (not a quarter's, year's or school year's): one period, 3 of 4 neither.
    assert [(v["period"], v["value"], v["numerator"], v["denominator"]) for v in neet] == [("2026MM01", 75.0, 3, 4)]

    # A late event: one of the three had a job from 15 January (before the measured date).
    youths[1].job(date(2026, 1, 15))
    world.refresh(date(2026, 2, 10), date(2026, 1, 31))

    comparison = world.client.get(
        f"{BASE}/measurements/{baseline['id']}/comparison", params={"against": "current"}, headers=reader.headers
    )
    assert comparison.status_code == 200, comparison.text
    rows = comparison.json()["items"]
    changed = {(r["measure"], r["dimension"], r["dimensionValue"]): r for r in rows if r["difference"]}
    # Participation 1/4 -> 2/4, NEET 3/4 -> 2/4; the same in every band the four share; nothing else moved.
    cells = [("total", "T001"), ("district", "WK050501"), ("ageBand", "18-22"), ("sector", "none"), ("group", "none")]
    expected = {("participation-rate", d, v): (25.0, 50.0, 25.0) for d, v in cells}
    expected |= {("neet-rate", d, v): (75.0, 50.0, -25.0) for d, v in cells}
    assert {k: (r["value"], r["againstValue"], r["difference"]) for k, r in changed.items()} == expected
    assert all(r["period"] == r["againstPeriod"] == "2026MM01" for r in changed.values())

    # A second measurement after the change compares the same way against the baseline.
    second = world.client.post(
        f"{BASE}/measurements", json={"label": "1-meting", "date": "2026-01-31"}, headers=reader.headers
    ).json()
    against = world.client.get(
        f"{BASE}/measurements/{baseline['id']}/comparison", params={"against": second["id"]}, headers=reader.headers
    ).json()["items"]
    assert {(r["measure"], r["dimension"], r["dimensionValue"]) for r in against if r["difference"]} == set(expected)
    listed = world.client.get(f"{BASE}/measurements", headers=reader.headers).json()["items"]
    assert [m["label"] for m in listed] == ["1-meting", "0-meting"]


def test_measurement_input_and_scope(world: ReportWorld, reader: TestPartner) -> None:
    bad = world.client.post(f"{BASE}/measurements", json={"label": "", "date": "2026-01-15"}, headers=reader.headers)
    assert bad.status_code == 400
    assert sorted(p["name"] for p in bad.json()["invalidParams"]) == ["/label"]
    not_month_end = world.client.post(
        f"{BASE}/measurements", json={"label": "x", "date": "2026-01-15"}, headers=reader.headers
    )
    assert [p["name"] for p in not_month_end.json()["invalidParams"]] == ["/date"]
    key_id, key = admin.create_key(uuid.UUID(world.partners.municipality.id), ["reporting:read"], None)
    read_only = {"Authorization": f"Bearer {key}"}
    denied = world.client.post(f"{BASE}/measurements", json={"label": "x", "date": "2026-01-31"}, headers=read_only)
    assert denied.status_code == 403
    assert world.client.get(f"{BASE}/measurements/{uuid.uuid4()}", headers=read_only).status_code == 404
    assert key_id
