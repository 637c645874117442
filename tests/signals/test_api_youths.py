# SPDX-License-Identifier: EUPL-1.2
"""`/signals/v1/youths`: the audited identity search and read, and a youth's timeline.

interface.md, "Signals" (identity, `GET /youths/{id}`) and "Conventions" (no identifier in any other answer).
"""

from __future__ import annotations

import logging
import uuid
from datetime import date
from typing import Any

import pytest
from fastapi.testclient import TestClient

from services.core.identity import elfproef_check_digit
from tests.factories import bsn, event, make_partner, post
from tests.intake.support import SCHOOL_BRIN, Partners, make_partners
from tests.signals.api_support import (
    YouthRef,
    audit_rows,
    clear_engine_output,
    insert_signal,
    make_accountable,
    make_youths,
    names,
    set_today,
)

BASE = "/signals/v1/youths"
SEARCH = f"{BASE}/search"


@pytest.fixture
def parties() -> Partners:
    return make_partners()


@pytest.fixture
def youth(client: TestClient, parties: Partners) -> YouthRef:
    enrolled = {
        "episodeId": "enr-1",
        "brin": SCHOOL_BRIN,
        "sector": "vo",
        "track": "havo",
        "grade": 3,
        "finalYear": False,
        "startDate": "2025-08-18",
    }
    return make_youths(client, parties.municipality, extra=[(parties.school, "education.enrolled", enrolled)])[0]


def _search(client: TestClient, partner: Any, body: dict[str, Any]) -> Any:
    return client.post(SEARCH, json=body, headers=partner.headers)


def _wrong_check_digit(number: str) -> str:
    right = elfproef_check_digit(number[:8])
    return number[:8] + str(((right or 0) + 1) % 10)


def test_identity_search_and_read_for_the_partners_involved(
    client: TestClient, parties: Partners, youth: YouthRef, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    insert_signal(youth, parties.leerplicht)
    make_accountable(youth, parties.youth_care)

    for partner in (parties.leerplicht, parties.youth_care):
        found = _search(client, partner, {"bsn": youth.bsn})
        assert found.status_code == 200, found.text
        assert found.json() == {"id": youth.key}
        identity = client.get(f"{BASE}/{youth.key}/identity", headers=partner.headers)
        assert identity.status_code == 200
        assert identity.json() == {"bsn": youth.bsn}
    assert [(e["action"], e["endpoint"]) for e in audit_rows(youth)] == [
        ("read", "POST /signals/v1/youths/search"),
        ("read", "GET /signals/v1/youths/{youth_id}/identity"),
    ] * 2

    # Not involved (a school, the ketenregisseur) or unknown: 404, and nothing audited.
    responses = []
    for partner in (parties.school, parties.municipality, parties.doorstroompunt):
        responses.append(_search(client, partner, {"bsn": youth.bsn}))
        responses.append(client.get(f"{BASE}/{youth.key}/identity", headers=partner.headers))
    responses.append(_search(client, parties.leerplicht, {"bsn": bsn()}))
    responses.append(client.get(f"{BASE}/{uuid.uuid4()}/identity", headers=parties.leerplicht.headers))
    assert [r.status_code for r in responses] == [404] * len(responses)
    assert len(audit_rows(youth)) == 4

    # The number never leaves in any other answer, nor in a log line.
    bad = _wrong_check_digit(youth.bsn)
    invalid = _search(client, parties.leerplicht, {"bsn": bad})
    assert invalid.status_code == 400
    assert names(invalid) == ["/bsn"]
    other_reads = [
        *responses,
        invalid,
        client.get("/signals/v1/signals", headers=parties.leerplicht.headers),
        client.get(f"{BASE}/{youth.key}", headers=parties.youth_care.headers),
    ]
    for response in other_reads:
        assert youth.bsn not in response.text
        assert bad not in response.text
    assert youth.bsn not in caplog.text and bad not in caplog.text


def test_search_by_onderwijsnummer(client: TestClient, parties: Partners) -> None:
    (pupil,) = make_youths(client, parties.municipality, kind="onderwijsnummer")
    insert_signal(pupil, parties.leerplicht)
    found = _search(client, parties.leerplicht, {"onderwijsnummer": pupil.bsn})
    assert found.json() == {"id": pupil.key}
    # The same digits as a BSN are another identifier: another pseudonym, no youth.
    assert _search(client, parties.leerplicht, {"bsn": pupil.bsn}).status_code == 404
    identity = client.get(f"{BASE}/{pupil.key}/identity", headers=parties.leerplicht.headers)
    assert identity.json() == {"onderwijsnummer": pupil.bsn}


def test_search_body_must_hold_exactly_one_valid_identifier(
    client: TestClient, parties: Partners, youth: YouthRef
) -> None:
    insert_signal(youth, parties.leerplicht)
    cases: list[tuple[dict[str, Any], list[str]]] = [
        ({}, ["/bsn", "/onderwijsnummer"]),
        ({"bsn": youth.bsn, "onderwijsnummer": youth.bsn}, ["/bsn", "/onderwijsnummer"]),
        ({"bsn": _wrong_check_digit(youth.bsn)}, ["/bsn"]),
        ({"bsn": youth.bsn[:8]}, ["/bsn"]),
        ({"bsn": "12345678a"}, ["/bsn"]),
        ({"bsn": int(youth.bsn)}, ["/bsn"]),
        ({"onderwijsnummer": "000000000x"}, ["/onderwijsnummer"]),
        ({"bsn": youth.bsn, "name": "Jan"}, ["/name"]),
    ]
    for body, pointers in cases:
        response = _search(client, parties.leerplicht, body)
        assert response.status_code == 400, body
        assert names(response) == pointers, body
        assert youth.bsn not in response.text
    assert audit_rows(youth) == []


def test_scopes_of_the_youth_endpoints(client: TestClient, parties: Partners, youth: YouthRef) -> None:
    writer = make_partner(["leerplicht"], scopes=["signals:write"])
    assert _search(client, writer, {"bsn": youth.bsn}).status_code == 403
    assert client.get(f"{BASE}/{uuid.uuid4()}/identity", headers=writer.headers).status_code == 403
    assert client.get(f"{BASE}/{uuid.uuid4()}", headers=writer.headers).status_code == 403
    assert client.post(SEARCH, json={"bsn": youth.bsn}).status_code == 401


def test_timeline_for_the_accountable_partner(
    client: TestClient, parties: Partners, youth: YouthRef, settings_env: pytest.MonkeyPatch
) -> None:
    set_today(settings_env, date(2026, 3, 2))
    school, person = parties.school, {"bsn": youth.bsn}
    qualified = event(school, "education.qualified", {"qualification": "havo", "date": "2025-07-01"}, person=person)
    retraction = event(school, "event.retracted", {"retractedId": qualified["id"]}, person=person)
    assert post(client, school, [qualified, retraction]).status_code == 202
    clear_engine_output()
    active = insert_signal(youth, parties.leerplicht)
    insert_signal(youth, parties.leerplicht, status="resolved")
    make_accountable(youth, parties.youth_care)
    url = f"{BASE}/{youth.key}"

    response = client.get(url, headers={**parties.youth_care.headers, "X-Purpose": "Casusoverleg"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["id"] == youth.key
    assert (body["age"], body["ageBand"], body["enrolled"], body["sector"]) == (15, "12-15", True, "vo")
    assert body["startkwalificatie"] is False  # the havo diploma was retracted
    assert body["accountablePartnerId"] == parties.youth_care.id
    # Ordered by event time (here equal), then by arrival; the retracted event and its retraction left out.
    assert [entry["type"] for entry in body["timeline"]] == ["person.registered", "education.enrolled"]
    assert body["timeline"][1]["data"]["sector"] == "vo"
    for entry in body["timeline"]:
        assert set(entry) == {"type", "time", "data"}
        assert "person" not in entry["data"]
        assert entry["time"].endswith("Z")
    assert [s["id"] for s in body["activeSignals"]] == [active]
    assert body["activeSignals"][0]["relation"] == "accountable"
    (period,) = body["accountability"]
    assert (period["partnerId"], period["cause"], period["until"]) == (parties.youth_care.id, "first-signal", None)
    assert youth.bsn not in response.text
    (entry,) = audit_rows(youth)
    assert (entry["endpoint"], entry["purpose"]) == ("GET /signals/v1/youths/{youth_id}", "Casusoverleg")

    # The routed partner reads its signal, not the youth; nor do others, nor chain:manage while not escalated.
    for partner in (parties.leerplicht, parties.school, parties.municipality):
        assert client.get(url, headers=partner.headers).status_code == 404
    assert client.get(f"{BASE}/{uuid.uuid4()}", headers=parties.youth_care.headers).status_code == 404
    assert client.get(f"{BASE}/not-an-id", headers=parties.youth_care.headers).status_code == 404


def test_chain_manage_reads_youths_listed_under_escalations(
    client: TestClient, parties: Partners, settings_env: pytest.MonkeyPatch
) -> None:
    set_today(settings_env, date(2026, 3, 2))
    escalated, orphan, quiet = make_youths(client, parties.municipality, 3)
    insert_signal(escalated, parties.leerplicht, escalated=True)
    make_accountable(escalated, parties.leerplicht)
    insert_signal(orphan, parties.school, severity="medium")
    insert_signal(quiet, parties.school, severity="low")
    chain = parties.municipality.headers

    assert client.get(f"{BASE}/{escalated.key}", headers=chain).status_code == 200
    orphan_view = client.get(f"{BASE}/{orphan.key}", headers=chain)
    assert orphan_view.status_code == 200
    assert orphan_view.json()["activeSignals"][0]["relation"] == "accountable"
    assert client.get(f"{BASE}/{quiet.key}", headers=chain).status_code == 404
    # chain:manage does not open the identity: only the partners involved.
    assert client.get(f"{BASE}/{escalated.key}/identity", headers=chain).status_code == 404
