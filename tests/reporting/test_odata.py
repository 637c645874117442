# SPDX-License-Identifier: EUPL-1.2
"""The OData v4 feed read by real OData clients from PyPI against a real server process: python-odata (a v4
client that reflects `$metadata`, filters and follows `@odata.nextLink`) and sqlalchemy-odata (the dialect
Superset users install), plus the raw protocol details BI tools rely on."""

from __future__ import annotations

import os
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import date
from typing import Any

import httpx
import pytest
import requests
from odata import ODataService
from sqlalchemy import create_engine, text

from tests.factories import TestPartner
from tests.processes import api_server
from tests.reporting.support import BASE, ReportWorld

EDM = "{http://docs.oasis-open.org/odata/ns/edm}"
TODAY = date(2026, 3, 10)


@pytest.fixture
def feed(world: ReportWorld, reader: TestPartner) -> Iterator[str]:
    """Thuiszitters in two districts and a few working youths; snapshots for January and February 2026;
    the reporting service alone in its own process, exact (no rounding or suppression)."""
    world.exact()
    for district, count in (("WK050501", 3), ("WK050502", 2)):
        for _ in range(count):
            world.resident(date(2011, 6, 1), district=district)
    for _ in range(2):
        world.resident(date(2005, 6, 1)).job(date(2025, 1, 1))
    world.refresh(TODAY, date(2026, 1, 31))
    env = {k: v for k, v in os.environ.items() if k.startswith("GLANSRIJK_")}
    with api_server("reporting", env=env) as base:
        yield f"{base}{BASE}/odata"


def _basic(reader: TestPartner) -> tuple[str, str]:
    return reader.key_id, reader.key


def test_python_odata_reads_metadata_filters_and_pages_to_the_end(feed: str, reader: TestPartner) -> None:
    session = requests.Session()
    session.auth = _basic(reader)
    service = ODataService(
        feed, reflect_entities=True, session=session, extra_headers={"Prefer": "odata.maxpagesize=25"}
    )
    observation = service.entities["Observations"]
    # The CSDL as the client reflected it: every column of interface.md, the Id as the key.
    reflected = {p["name"]: p["type"] for p in observation.__odata_schema__["properties"]}
    assert reflected == {
        "Id": "Edm.Int64",
        "Measure": "Edm.String",
        "Period": "Edm.String",
        "PeriodStart": "Edm.Date",
        "District": "Edm.String",
        "AgeBand": "Edm.String",
        "Group": "Edm.String",
        "SignalType": "Edm.String",
        "Partner": "Edm.String",
        "Sector": "Edm.String",
        "Value": "Edm.Double",
        "Suppressed": "Edm.Boolean",
    }
    assert [p["name"] for p in observation.__odata_schema__["properties"] if p.get("is_primary_key")] == ["Id"]

    query = (
        service.query(observation)
        .filter(observation.Measure == "thuiszitters")
        .filter(observation.PeriodStart >= "2026-01-01")
    )
    rows = list(query)
    # Two months; per month the total, the 2 districts and `unknown`, 5 age bands, 8 sectors and 4 groups:
    # 1 + 3 + 5 + 8 + 4 = 21 rows each, read over two pages of 25.
    assert len(rows) == 42
    assert {r.Period for r in rows} == {"2026MM01", "2026MM02"}
    total = [
        r for r in rows if r.District == "T001" and r.AgeBand == "T001" and r.Sector == "T001" and r.Group == "T001"
    ]
    assert sorted((r.Period, float(r.Value)) for r in total) == [("2026MM01", 5.0), ("2026MM02", 5.0)]
    by_district = {(r.Period, r.District): float(r.Value) for r in rows if r.District != "T001"}
    assert by_district == {
        ("2026MM01", "WK050501"): 3.0,
        ("2026MM01", "WK050502"): 2.0,
        ("2026MM02", "WK050501"): 3.0,
        ("2026MM02", "WK050502"): 2.0,
        ("2026MM01", "unknown"): 0.0,
        ("2026MM02", "unknown"): 0.0,
    }

    # The whole feed, page after page (25 rows each), to the end: as many rows as `$count` says, keys unique.
    everything = list(service.query(observation))
    counted = httpx.get(f"{feed}/Observations", params={"$count": "true", "$top": "0"}, auth=_basic(reader)).json()
    assert len(everything) == counted["@odata.count"] > 100
    assert len({r.Id for r in everything}) == len(everything)


# The dialect still names `dbapi()`, which SQLAlchemy 2 has renamed: its warning, not ours.
@pytest.mark.filterwarnings("ignore:The dbapi\\(\\) classmethod")
def test_sqlalchemy_odata_reads_the_feed_as_superset_does(feed: str, reader: TestPartner) -> None:
    host = feed.removeprefix("http://")
    engine = create_engine(f"odata://{reader.key_id}:{reader.key}@{host}")
    with engine.connect() as connection:
        assert "Observations" in engine.dialect.get_table_names(connection)
        rows = connection.execute(
            text("SELECT Period, Value FROM Observations WHERE Measure = 'thuiszitters' AND District = 'WK050501'")
        ).all()
        total = connection.execute(text("SELECT COUNT(*) FROM Observations")).scalar()
    assert sorted(rows) == [("2026MM01", 3.0), ("2026MM02", 3.0)]
    counted = httpx.get(f"{feed}/Observations", params={"$count": "true", "$top": "0"}, auth=_basic(reader)).json()
    assert total == counted["@odata.count"]


def test_protocol_details(feed: str, reader: TestPartner) -> None:
    auth = _basic(reader)
    document = httpx.get(feed, auth=auth)
    assert document.status_code == 200 and document.headers["odata-version"] == "4.0"
    assert {s["name"] for s in document.json()["value"]} == {
        "Observations",
        "MeasureCodes",
        "PeriodCodes",
        "DistrictCodes",
        "AgeBandCodes",
        "GroupCodes",
        "SignalTypeCodes",
        "SectorCodes",
    }
    metadata = httpx.get(f"{feed}/$metadata", auth=auth)
    root = ET.fromstring(metadata.text)  # noqa: S314 (our own server's answer in a test)
    observation = next(e for e in root.iter(f"{EDM}EntityType") if e.get("Name") == "Observation")
    types = {p.get("Name"): p.get("Type") for p in observation.iter(f"{EDM}Property")}
    assert types["Id"] == "Edm.Int64" and types["PeriodStart"] == "Edm.Date" and types["Value"] == "Edm.Double"
    assert [k.get("Name") for k in observation.iter(f"{EDM}PropertyRef")] == ["Id"]

    # $select, $top, $filter with eq, ge, lt and and; the bearer token works as well as Basic.
    bearer = {"Authorization": f"Bearer {reader.key}"}
    params = {
        "$filter": "Measure eq 'thuiszitters' and PeriodStart ge 2026-01-01 and PeriodStart lt 2026-02-01 "
        "and District eq 'WK050502'",
        "$select": "Period,District,Value",
        "$count": "true",
    }
    answer: dict[str, Any] = httpx.get(f"{feed}/Observations", params=params, headers=bearer).json()
    assert answer["value"] == [{"Period": "2026MM01", "District": "WK050502", "Value": 2.0}]
    assert answer["@odata.count"] == 1
    paged = httpx.get(f"{feed}/Observations", params={"$top": "3"}, headers=bearer).json()
    assert len(paged["value"]) == 3 and "@odata.nextLink" not in paged

    # Errors in the OData format.
    bad = httpx.get(f"{feed}/Observations", params={"$filter": "Colour eq 'red'"}, headers=bearer)
    assert bad.status_code == 400 and set(bad.json()["error"]) == {"code", "message"}
    assert httpx.get(f"{feed}/Observations", params={"$orderby": "Value"}, headers=bearer).status_code == 501
    anonymous = httpx.get(f"{feed}/Observations")
    assert anonymous.status_code == 401 and "Basic" in anonymous.headers["www-authenticate"]
    assert "error" in anonymous.json()
    assert httpx.get(f"{feed}/Nothing", headers=bearer).json()["error"]["code"] == "NotFound"
    districts = httpx.get(f"{feed}/DistrictCodes", headers=bearer).json()["value"]
    assert [d["Key"] for d in districts] == ["T001", "WK050501", "WK050502"]
