# SPDX-License-Identifier: EUPL-1.2
"""The audit log: a purpose on every personal-data read, the per-youth audit export, and a log the application
cannot change (the database refuses UPDATE and DELETE of its rows)."""

from __future__ import annotations

import json
import uuid

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import delete, text, update
from sqlalchemy.exc import DBAPIError

from services.cli import admin
from services.core.db import transaction
from services.core.models import AuditEntry
from tests.factories import TEST_PURPOSE
from tests.intake.support import Partners
from tests.privacy.conftest import cli
from tests.signals.api_support import YouthRef, audit_rows, insert_signal, make_accountable, names

BASE = "/signals/v1"


def _without_purpose(headers: dict[str, str]) -> dict[str, str]:
    return {k: v for k, v in headers.items() if k != "X-Purpose"}


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/signals"),
        ("GET", "/signals/{signal}"),
        ("GET", "/youths/{youth}"),
        ("GET", "/youths/{youth}/identity"),
        ("GET", "/youths/{youth}/audit"),
        ("GET", "/youths/{youth}/export"),
        ("GET", "/handovers"),
        ("POST", "/youths/search"),
    ],
)
def test_a_personal_data_read_without_a_purpose_is_a_400_naming_x_purpose(
    client: TestClient, parties: Partners, youth: YouthRef, method: str, path: str
) -> None:
    signal = insert_signal(youth, parties.leerplicht)
    make_accountable(youth, parties.leerplicht)
    url = BASE + path.format(signal=signal, youth=youth.key)
    body = {"bsn": youth.bsn} if method == "POST" else None
    for headers in (_without_purpose(parties.leerplicht.headers), {**parties.leerplicht.headers, "X-Purpose": "  "}):
        response = client.request(method, url, json=body, headers=headers)
        assert response.status_code == 400, response.text
        assert response.headers["content-type"] == "application/problem+json"
        assert names(response) == ["X-Purpose"]
    assert audit_rows(youth) == [], "a refused read is not a read"
    assert client.request(method, url, json=body, headers=parties.leerplicht.headers).status_code == 200


def test_the_key_and_the_scope_are_checked_before_the_purpose(
    client: TestClient, parties: Partners, youth: YouthRef
) -> None:
    assert client.get(f"{BASE}/signals").status_code == 401
    _key_id, key = admin.create_key(uuid.UUID(parties.municipality.id), ["reporting:read"], None)
    assert client.get(f"{BASE}/signals", headers={"Authorization": f"Bearer {key}"}).status_code == 403


def test_a_change_needs_no_purpose_but_records_one_when_sent(
    client: TestClient, parties: Partners, youth: YouthRef
) -> None:
    signal = insert_signal(youth, parties.leerplicht)
    change = {"status": "acknowledged"}
    response = client.patch(
        f"{BASE}/signals/{signal}", json=change, headers=_without_purpose(parties.leerplicht.headers)
    )
    assert response.status_code == 200, response.text
    [row] = audit_rows(youth)
    assert (row["action"], row["purpose"]) == ("change", None)


def test_the_audit_export_lists_who_saw_what_when_and_why(
    client: TestClient, parties: Partners, youth: YouthRef
) -> None:
    signal = insert_signal(youth, parties.leerplicht)
    make_accountable(youth, parties.youth_care)
    headers = {**parties.leerplicht.headers, "X-Purpose": "Verzuimgesprek voorbereiden"}
    assert client.get(f"{BASE}/signals/{signal}", headers=headers).status_code == 200
    assert client.get(f"{BASE}/youths/{youth.key}", headers=parties.youth_care.headers).status_code == 200

    response = client.get(f"{BASE}/youths/{youth.key}/audit", headers=parties.youth_care.headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["youthId"] == youth.key
    seen = [(i["partnerId"], i["partnerName"], i["action"], i["endpoint"], i["purpose"]) for i in body["items"]]
    assert seen == [
        (
            parties.leerplicht.id,
            "leerplicht",
            "read",
            "GET /signals/v1/signals/{signal_id}",
            "Verzuimgesprek voorbereiden",
        ),
        (parties.youth_care.id, "youth-care", "read", "GET /signals/v1/youths/{youth_id}", TEST_PURPOSE),
        (parties.youth_care.id, "youth-care", "read", "GET /signals/v1/youths/{youth_id}/audit", TEST_PURPOSE),
    ]
    assert all(item["at"].endswith("Z") and item["keyId"] for item in body["items"])


def test_only_the_accountable_partner_reads_the_audit_log(
    client: TestClient, parties: Partners, youth: YouthRef
) -> None:
    insert_signal(youth, parties.leerplicht)  # routed to leerplicht, but leerplicht is not accountable
    make_accountable(youth, parties.youth_care)
    for partner in (parties.leerplicht, parties.school, parties.municipality):
        response = client.get(f"{BASE}/youths/{youth.key}/audit", headers=partner.headers)
        assert response.status_code == 404, partner.roles
    assert client.get(f"{BASE}/youths/not-a-uuid/audit", headers=parties.youth_care.headers).status_code == 404
    assert audit_rows(youth) == []


def test_the_privacy_officer_reads_the_audit_log_on_the_command_line(
    client: TestClient, parties: Partners, youth: YouthRef
) -> None:
    make_accountable(youth, parties.youth_care)
    assert client.get(f"{BASE}/youths/{youth.key}", headers=parties.youth_care.headers).status_code == 200
    result = cli("youths", "audit", youth.key, "--purpose", "Inzageverzoek 2026-17")
    assert result.exit_code == 0, result.output
    items = json.loads(result.output)["items"]
    assert [(i["partnerId"], i["endpoint"], i["purpose"]) for i in items] == [
        (parties.youth_care.id, "GET /signals/v1/youths/{youth_id}", TEST_PURPOSE),
        (None, "cli youths audit", "Inzageverzoek 2026-17"),
    ]
    assert cli("youths", "audit", youth.key, "--purpose", " ").exit_code != 0


def test_the_application_cannot_update_or_delete_audit_rows(
    client: TestClient, parties: Partners, youth: YouthRef
) -> None:
    make_accountable(youth, parties.youth_care)
    assert client.get(f"{BASE}/youths/{youth.key}", headers=parties.youth_care.headers).status_code == 200
    [before] = audit_rows(youth)
    attempts = [
        update(AuditEntry).where(AuditEntry.youth_id == youth.id).values(purpose="rewritten"),
        update(AuditEntry).values(partner_id=None),
        delete(AuditEntry).where(AuditEntry.youth_id == youth.id),
        delete(AuditEntry),
    ]
    for statement in attempts:
        with pytest.raises(DBAPIError, match="audit_log is append-only"), transaction() as session:
            session.execute(statement)
    with pytest.raises(DBAPIError, match="append-only"), transaction() as session:
        session.execute(text("UPDATE audit_log SET at = at"))
    assert audit_rows(youth) == [before]
