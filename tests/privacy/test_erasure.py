# SPDX-License-Identifier: EUPL-1.2
"""Erasure (AVG art. 17) on the privacy officer's decision: everything about the youth goes, the audit log and
the published numbers stay, even when a month-end is recomputed afterwards (ADR 0027)."""

from __future__ import annotations

import json
import uuid
from datetime import date

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, text

from services.core.db import get_engine
from services.core.identity import pseudonymise
from services.core.models import ReportingYouthMonth, Youth
from services.intake.repository import PROJECTION_TABLES
from tests.factories import TestPartner
from tests.intake.support import Partners
from tests.privacy.conftest import cli
from tests.reporting.support import ReportWorld, cell
from tests.signals.api_support import audit_rows

# Every table that names a youth; after erasure none of them may name the erased one.
YOUTH_TABLES = (
    "youths",
    "youth_local_ids",
    "events",
    "signals",
    "accountabilities",
    "handovers",
    "objections",
    "youth_event_sequences",
    "reporting_youth_months",
    "deliveries",
    *(table.name for table in PROJECTION_TABLES),
)


@pytest.fixture
def report(client: TestClient, parties: Partners, settings_env: pytest.MonkeyPatch) -> ReportWorld:
    world = ReportWorld(client, parties, settings_env)
    world.exact()
    return world


def _id(number: str) -> uuid.UUID | None:
    with get_engine().connect() as connection:
        query = select(Youth.id).where(Youth.pseudonym == pseudonymise("bsn", number))
        return connection.execute(query).scalar_one_or_none()


def _rows_naming(youth_id: uuid.UUID) -> dict[str, int]:
    with get_engine().connect() as connection:
        column = {"youths": "id"}
        return {
            table: connection.execute(
                text(f"SELECT count(*) FROM {table} WHERE {column.get(table, 'youth_id')} = :id"), {"id": youth_id}
            ).scalar_one()
            for table in YOUTH_TABLES
        }


def _participation(world: ReportWorld, reader: TestPartner) -> tuple[int, int]:
    items = world.observations(
        reader, "participation-rate", period="month", **{"from": "2026-01-01", "to": "2026-01-31"}
    )
    row = cell(items, period="2026MM01")
    return row["numerator"], row["denominator"]


def test_erasure_removes_the_youth_and_keeps_the_audit_log_and_published_numbers(
    report: ReportWorld, parties: Partners
) -> None:
    from services.cli import admin

    key_id, key = admin.create_key(uuid.UUID(parties.municipality.id), ["reporting:read", "reporting:manage"], None)
    reader = TestPartner(parties.municipality.id, key, str(key_id), parties.municipality.oin, ["municipality"])
    erased, stays, late = (report.resident(date(2008, 6, day)) for day in (1, 2, 3))
    for youth in (erased, stays):
        youth.enrol(date(2025, 8, 18))
    report.refresh(date(2026, 2, 10), date(2026, 1, 31))
    before = _participation(report, reader)
    assert before == (2, 3)
    created = report.client.post(
        "/reporting/v1/measurements", json={"label": "0-meting", "date": "2026-01-31"}, headers=reader.headers
    )
    assert created.status_code == 201, created.text
    measurement = created.headers["location"]
    frozen = report.client.get(measurement, headers=reader.headers).json()

    erased_id = _id(erased.bsn)
    assert erased_id is not None
    result = cli("youths", "erase", str(erased_id), "--purpose", "Verzoek tot verwijdering 2026-4")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["snapshotRowsKept"] == 1

    assert _id(erased.bsn) is None
    assert {table: n for table, n in _rows_naming(erased_id).items() if n} == {}
    [row] = audit_rows()
    assert (row["youth_id"], row["action"], row["purpose"]) == (erased_id, "erase", "Verzoek tot verwijdering 2026-4")
    assert _participation(report, reader) == before

    # A late event of another youth, dated in January, makes the refresh recompute that month-end: the erased
    # youth's share is still in it, in a row that names no one.
    late.contact(date(2026, 1, 20))
    report.refresh(date(2026, 2, 11), date(2026, 1, 31))
    assert _participation(report, reader) == before
    assert report.client.get(measurement, headers=reader.headers).json() == frozen
    with get_engine().connect() as connection:
        stubs = connection.execute(
            select(func.count()).select_from(Youth).where(Youth.identifier_kind == "erased")
        ).scalar_one()
        month_rows = connection.execute(select(func.count()).select_from(ReportingYouthMonth)).scalar_one()
    assert (stubs, month_rows) == (1, 3)

    # The same BSN posted again is a new youth: nothing leads back to the erased one.
    registered = {"since": "2010-01-01", "districtCode": "WK050501"}
    report.queue(parties.municipality, "person.registered", registered, {"bsn": erased.bsn, "birthDate": "2008-06-01"})
    report.flush()
    assert _id(erased.bsn) not in (None, erased_id)


def test_erasing_an_unknown_or_erased_youth_fails(parties: Partners) -> None:
    assert cli("youths", "erase", str(uuid.uuid4()), "--purpose", "x").exit_code == 1
    assert cli("youths", "erase", "not-an-id", "--purpose", "x").exit_code == 1
    assert cli("youths", "erase", str(uuid.uuid4()), "--purpose", " ").exit_code != 0
    assert audit_rows() == []
