# SPDX-License-Identifier: EUPL-1.2
"""The indicator catalogue and the access rules of the reporting API."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from services.core.settings import reset_settings
from tests.factories import TestPartner, make_partner
from tests.reporting.support import BASE

# spec/domain.md, "Indicators", in its order.
DOMAIN_CODES = [
    "signals-raised",
    "signals-open",
    "time-to-acknowledge",
    "acknowledged-in-time",
    "escalations",
    "handover-time",
    "youths-without-accountable",
    "youths-per-group",
    "thuiszitters",
    "absence-16h-rate",
    "new-early-leavers",
    "transition-plan-coverage",
    "mbo-applied-by-april",
    "out-of-view",
    "participation-rate",
    "neet-rate",
    "trajectory-success",
    "sustained-12-months",
    "relapse-rate",
]


def test_catalogue_lists_every_indicator_of_the_domain(
    client: TestClient, reader: TestPartner, settings_env: pytest.MonkeyPatch
) -> None:
    settings_env.setenv("GLANSRIJK_REPORTING_TARGETS", '{"neet-rate": 5.5}')
    reset_settings()
    response = client.get(f"{BASE}/indicators", headers=reader.headers)
    assert response.status_code == 200
    items = response.json()["items"]
    assert [i["code"] for i in items] == DOMAIN_CODES
    by_code = {i["code"]: i for i in items}
    neet = by_code["neet-rate"]
    assert neet["level"] == "strategic" and neet["unit"] == "percentage"
    assert neet["target"] == 5.5  # configured
    assert by_code["youths-without-accountable"]["target"] == 0  # domain.md: target 0
    assert by_code["signals-raised"]["target"] is None
    assert set(neet) >= {"code", "title", "description", "level", "unit", "numerator", "denominator", "dimensions"}
    assert neet["title"]["nl"] and neet["title"]["en"] and neet["description"]["nl"] and neet["description"]["en"]
    assert by_code["signals-raised"]["denominator"] is None
    assert by_code["time-to-acknowledge"]["unit"] == "working-days"
    assert by_code["absence-16h-rate"]["unit"] == "per-1000"
    assert "partner" in by_code["signals-raised"]["dimensions"]
    assert "partner" not in by_code["neet-rate"]["dimensions"]  # partner: operational indicators only
    assert by_code["new-early-leavers"]["periods"] == ["school-year"]


def test_reporting_needs_a_key_with_the_reporting_scope(client: TestClient, reader: TestPartner) -> None:
    assert client.get(f"{BASE}/indicators").status_code == 401
    assert client.get(f"{BASE}/indicators").headers["www-authenticate"].startswith("Bearer")
    school = make_partner(["school"], brins=["77XX"], scopes=["events:write", "signals:read"])
    denied = client.get(f"{BASE}/indicators", headers=school.headers)
    assert denied.status_code == 403
    assert denied.headers["content-type"] == "application/problem+json"
    assert client.get(f"{BASE}/indicators/", headers=reader.headers).status_code == 404


def test_bad_query_parameters_answer_400_naming_each(client: TestClient, reader: TestPartner) -> None:
    response = client.get(
        f"{BASE}/indicators/neet-rate/observations",
        params={"period": "week", "from": "2026-13-01", "to": "yesterday", "by": "district,colour"},
        headers=reader.headers,
    )
    assert response.status_code == 400
    names = sorted(p["name"] for p in response.json()["invalidParams"])
    assert names == ["by", "from", "period", "to"]
    only_school_years = client.get(
        f"{BASE}/indicators/new-early-leavers/observations", params={"period": "month"}, headers=reader.headers
    )
    assert [p["name"] for p in only_school_years.json()["invalidParams"]] == ["period"]
    assert client.get(f"{BASE}/indicators/no-such/observations", headers=reader.headers).status_code == 404
    groups = client.get(f"{BASE}/groups", params={"date": "2026-01-15"}, headers=reader.headers)
    assert groups.status_code == 400 and groups.json()["invalidParams"][0]["name"] == "date"
