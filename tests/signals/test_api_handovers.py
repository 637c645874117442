# SPDX-License-Identifier: EUPL-1.2
"""Handovers, the ketenregisseur's override and the escalations list.

interface.md, "Signals" (handovers, accountability, escalations); domain.md, "Accountability": one accountable
partner at a time, changed only by an accepted handover or the override.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from services.core.db import get_engine
from tests.factories import make_partner
from tests.intake.support import Partners, make_partners
from tests.signals.api_support import (
    YouthRef,
    audit_rows,
    backdate_handover,
    current_accountable,
    insert_signal,
    make_accountable,
    make_youths,
    names,
    set_today,
)

BASE = "/signals/v1"
REASON = "Jongere is 18 geworden; doorstroompunt neemt over."


@pytest.fixture
def parties() -> Partners:
    return make_partners()


@pytest.fixture
def youth(client: TestClient, parties: Partners) -> YouthRef:
    youth = make_youths(client, parties.municipality)[0]
    insert_signal(youth, parties.leerplicht)
    make_accountable(youth, parties.leerplicht)
    return youth


def _request(client: TestClient, sender: Any, youth: YouthRef, to: Any, reason: str = REASON) -> Any:
    body = {"toPartnerId": to if isinstance(to, str) else to.id, "reason": reason}
    return client.post(f"{BASE}/youths/{youth.key}/handovers", json=body, headers=sender.headers)


def _answer(client: TestClient, partner: Any, handover_id: str, status: str, reason: str | None = None) -> Any:
    body = {"status": status, "reason": reason}
    return client.patch(f"{BASE}/handovers/{handover_id}", json=body, headers=partner.headers)


def test_request_and_accept_moves_the_youth(client: TestClient, parties: Partners, youth: YouthRef) -> None:
    created = _request(client, parties.leerplicht, youth, parties.doorstroompunt)
    assert created.status_code == 201, created.text
    handover = created.json()
    assert created.headers["location"] == f"http://testserver{BASE}/handovers/{handover['id']}"
    assert handover == {
        "id": handover["id"],
        "youthId": youth.key,
        "fromPartnerId": parties.leerplicht.id,
        "toPartnerId": parties.doorstroompunt.id,
        "reason": REASON,
        "status": "pending",
        "requestedAt": handover["requestedAt"],
        "answeredAt": None,
        "answerReason": None,
    }
    assert handover["requestedAt"].endswith("Z")
    # Until accepted nothing changes.
    assert current_accountable(youth) == [(parties.leerplicht.id, "first-signal")]
    assert client.get(f"{BASE}/youths/{youth.key}", headers=parties.doorstroompunt.headers).status_code == 404

    again = _request(client, parties.leerplicht, youth, parties.youth_care)
    assert again.status_code == 409

    handover_id = handover["id"]
    assert _answer(client, parties.leerplicht, handover_id, "accepted").status_code == 403
    # The ketenregisseur sees a handover only once it is stalled: a fresh one does not exist for it.
    assert _answer(client, parties.municipality, handover_id, "accepted").status_code == 404
    assert _answer(client, parties.school, handover_id, "accepted").status_code == 404
    accepted = _answer(client, parties.doorstroompunt, handover_id, "accepted", "Akkoord.")
    assert accepted.status_code == 200, accepted.text
    assert (accepted.json()["status"], accepted.json()["answerReason"]) == ("accepted", "Akkoord.")
    assert accepted.json()["answeredAt"] is not None
    assert current_accountable(youth) == [(parties.doorstroompunt.id, "handover")]
    with get_engine().connect() as connection:
        rows = connection.execute(
            text("SELECT partner_id, until, handover_id FROM accountabilities WHERE youth_id = :y ORDER BY id"),
            {"y": youth.id},
        ).all()
    assert [str(r.partner_id) for r in rows] == [parties.leerplicht.id, parties.doorstroompunt.id]
    assert rows[0].until is not None and rows[1].until is None
    assert str(rows[1].handover_id) == handover_id

    assert _answer(client, parties.doorstroompunt, handover_id, "declined").status_code == 409
    view = client.get(f"{BASE}/youths/{youth.key}", headers=parties.doorstroompunt.headers)
    assert view.status_code == 200
    assert [p["cause"] for p in view.json()["accountability"]] == ["first-signal", "handover"]
    assert client.get(f"{BASE}/youths/{youth.key}", headers=parties.leerplicht.headers).status_code == 404
    assert [e["action"] for e in audit_rows(youth)].count("change") == 2


def test_decline_changes_nothing(client: TestClient, parties: Partners, youth: YouthRef) -> None:
    handover_id = _request(client, parties.leerplicht, youth, parties.youth_coach).json()["id"]
    declined = _answer(client, parties.youth_coach, handover_id, "declined", "Geen capaciteit.")
    assert declined.status_code == 200
    assert declined.json()["status"] == "declined"
    assert current_accountable(youth) == [(parties.leerplicht.id, "first-signal")]
    assert _answer(client, parties.youth_coach, handover_id, "accepted").status_code == 409
    # A declined handover is no longer pending: a new one may be asked.
    assert _request(client, parties.leerplicht, youth, parties.youth_care).status_code == 201


def test_accepting_when_the_sender_is_no_longer_accountable_is_a_conflict(
    client: TestClient, parties: Partners, youth: YouthRef
) -> None:
    handover_id = _request(client, parties.leerplicht, youth, parties.youth_care).json()["id"]
    with get_engine().begin() as connection:  # e.g. changed by a path that does not withdraw handovers
        connection.execute(
            text("UPDATE accountabilities SET partner_id = :p"), {"p": uuid.UUID(parties.youth_coach.id)}
        )
    assert _answer(client, parties.youth_care, handover_id, "accepted").status_code == 409
    assert current_accountable(youth) == [(parties.youth_coach.id, "first-signal")]


def test_handover_requests_are_validated(client: TestClient, parties: Partners, youth: YouthRef) -> None:
    for to, pointer in [
        (parties.school, "/toPartnerId"),
        (parties.social, "/toPartnerId"),
        (parties.leerplicht, "/toPartnerId"),
        (str(uuid.uuid4()), "/toPartnerId"),
        ("not-a-uuid", "/toPartnerId"),
    ]:
        response = _request(client, parties.leerplicht, youth, to)
        assert response.status_code == 400, to
        assert names(response) == [pointer]
    for reason in ("", "x" * 501):
        response = _request(client, parties.leerplicht, youth, parties.youth_care, reason)
        assert names(response) == ["/reason"]
    bad_answer = client.patch(
        f"{BASE}/handovers/{uuid.uuid4()}", json={"status": "pending"}, headers=parties.youth_care.headers
    )
    assert names(bad_answer) == ["/status"]


def test_only_the_accountable_partner_hands_over(
    client: TestClient, parties: Partners, youth: YouthRef, settings_env: pytest.MonkeyPatch
) -> None:
    # A routed partner that is not accountable, a stranger, chain:manage on a youth it may not see: 404.
    insert_signal(youth, parties.school)
    for partner in (parties.school, parties.youth_care, parties.municipality):
        assert _request(client, partner, youth, parties.doorstroompunt).status_code == 404
    unknown = YouthRef(uuid.uuid4(), "000000000")
    assert _request(client, parties.leerplicht, unknown, parties.doorstroompunt).status_code == 404
    # chain:manage sees the youth once it is escalated, but still does not hold it: 403.
    insert_signal(youth, parties.leerplicht, escalated=True)
    assert _request(client, parties.municipality, youth, parties.doorstroompunt).status_code == 403
    reader = make_partner(["leerplicht"], scopes=["signals:read"])
    assert _request(client, reader, youth, parties.doorstroompunt).status_code == 403


def test_listing_and_reading_handovers(client: TestClient, parties: Partners, youth: YouthRef) -> None:
    first = _request(client, parties.leerplicht, youth, parties.youth_care).json()["id"]
    _answer(client, parties.youth_care, first, "declined")
    second = _request(client, parties.leerplicht, youth, parties.youth_care).json()["id"]

    def ids(partner: Any, **params: str) -> list[str]:
        response = client.get(f"{BASE}/handovers", params=params, headers=partner.headers)
        assert response.status_code == 200, response.text
        return [item["id"] for item in response.json()["items"]]

    assert ids(parties.leerplicht) == [second, first]
    assert ids(parties.leerplicht, direction="outgoing") == [second, first]
    assert ids(parties.leerplicht, direction="incoming") == []
    assert ids(parties.youth_care, direction="incoming", status="pending") == [second]
    assert ids(parties.youth_care, status="declined") == [first]
    assert ids(parties.school) == []
    assert ids(parties.leerplicht, limit="1") == [second]
    page = client.get(f"{BASE}/handovers", params={"limit": 1}, headers=parties.leerplicht.headers).json()
    assert [item["id"] for item in client.get(page["next"], headers=parties.leerplicht.headers).json()["items"]] == [
        first
    ]
    for params, name in [({"direction": "sideways"}, "direction"), ({"status": "open"}, "status")]:
        assert names(client.get(f"{BASE}/handovers", params=params, headers=parties.leerplicht.headers)) == [name]

    for partner in (parties.leerplicht, parties.youth_care):
        assert client.get(f"{BASE}/handovers/{second}", headers=partner.headers).status_code == 200
    # Not stalled: the ketenregisseur does not see it (it reads only what the escalations list shows).
    for partner in (parties.municipality, parties.school):
        assert client.get(f"{BASE}/handovers/{second}", headers=partner.headers).status_code == 404
    assert client.get(f"{BASE}/handovers/{uuid.uuid4()}", headers=parties.leerplicht.headers).status_code == 404


def test_override_assigns_and_withdraws_pending_handovers(
    client: TestClient, parties: Partners, youth: YouthRef
) -> None:
    handover_id = _request(client, parties.leerplicht, youth, parties.youth_care).json()["id"]
    url = f"{BASE}/youths/{youth.key}/accountability"
    chain = parties.municipality.headers

    assert (
        client.put(url, json={"partnerId": parties.doorstroompunt.id}, headers=parties.leerplicht.headers).status_code
        == 403
    )
    for partner_id in (parties.school.id, str(uuid.uuid4()), "nope"):
        response = client.put(url, json={"partnerId": partner_id}, headers=chain)
        assert names(response) == ["/partnerId"]
    unknown = f"{BASE}/youths/{uuid.uuid4()}/accountability"
    assert client.put(unknown, json={"partnerId": parties.doorstroompunt.id}, headers=chain).status_code == 404

    response = client.put(url, json={"partnerId": parties.doorstroompunt.id}, headers=chain)
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["youthId"], body["partnerId"], body["cause"]) == (youth.key, parties.doorstroompunt.id, "override")
    assert current_accountable(youth) == [(parties.doorstroompunt.id, "override")]
    withdrawn = client.get(f"{BASE}/handovers/{handover_id}", headers=parties.leerplicht.headers).json()
    assert withdrawn["status"] == "withdrawn"
    assert _answer(client, parties.youth_care, handover_id, "accepted").status_code == 409

    same = client.put(url, json={"partnerId": parties.doorstroompunt.id}, headers=chain)
    assert same.status_code == 200
    assert same.json() == body
    assert current_accountable(youth) == [(parties.doorstroompunt.id, "override")]
    # The municipality itself can hold a youth.
    assert client.put(url, json={"partnerId": parties.municipality.id}, headers=chain).json()["cause"] == "override"
    assert current_accountable(youth) == [(parties.municipality.id, "override")]


def test_escalations(client: TestClient, parties: Partners, settings_env: pytest.MonkeyPatch) -> None:
    escalated_youth, orphan, low_only, held = make_youths(client, parties.municipality, 4)
    escalated = insert_signal(escalated_youth, parties.leerplicht, escalated=True)
    make_accountable(escalated_youth, parties.leerplicht)
    insert_signal(escalated_youth, parties.leerplicht, escalated=True, status="dismissed")
    orphan_signals = [insert_signal(orphan, parties.school, severity=s) for s in ("medium", "high", "low")]
    insert_signal(low_only, parties.school, severity="low")
    insert_signal(held, parties.leerplicht, severity="high")
    make_accountable(held, parties.leerplicht)
    handover_id = _request(client, parties.leerplicht, held, parties.youth_care).json()["id"]
    backdate_handover(handover_id, datetime(2026, 1, 19, 9, 0, tzinfo=UTC))  # a Monday
    url, chain = f"{BASE}/escalations", parties.municipality.headers

    set_today(settings_env, date(2026, 1, 23))  # 4 working days later: not stalled yet
    body = client.get(url, headers=chain).json()
    assert set(body) == {"signals", "handovers", "youthsWithoutAccountable"}
    assert [s["id"] for s in body["signals"]] == [escalated]
    assert body["signals"][0]["relation"] == "accountable"
    assert body["handovers"] == []
    (listed,) = body["youthsWithoutAccountable"]
    assert listed["id"] == orphan.key
    assert sorted(listed["activeSignals"]) == sorted(orphan_signals[:2])
    assert listed["accountablePartnerId"] is None and listed["ageBand"] == "12-15"
    assert client.get(f"{BASE}/youths/{held.key}", headers=chain).status_code == 404

    set_today(settings_env, date(2026, 1, 26))  # the 5th working day
    body = client.get(url, headers=chain).json()
    assert [h["id"] for h in body["handovers"]] == [handover_id]
    assert client.get(f"{BASE}/youths/{held.key}", headers=chain).status_code == 200
    audited = {str(e["youth_id"]) for e in audit_rows() if e["endpoint"] == "GET /signals/v1/escalations"}
    assert audited == {escalated_youth.key, orphan.key, held.key}

    assert client.get(url, headers=parties.leerplicht.headers).status_code == 403
    assert client.get(url).status_code == 401
