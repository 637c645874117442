# SPDX-License-Identifier: EUPL-1.2
"""`/signals/v1/signals`: visibility, relation, facts by role, pages, filters, status changes, audit.

interface.md, "Partners, keys and access" and "Signals"; domain.md, "Evaluation" (facts of other domains).
"""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from services.core.db import get_engine
from tests.factories import make_partner
from tests.intake.support import SCHOOL_BRIN, Partners, make_partners
from tests.signals.api_support import (
    BASE_TIME,
    DISTRICT,
    YouthRef,
    audit_rows,
    insert_signal,
    make_accountable,
    make_unregistered_youth,
    make_youths,
    names,
    set_today,
)

URL = "/signals/v1/signals"
ALL = ("open", "acknowledged", "resolved", "dismissed")
LEGAL = {("open", "acknowledged"), ("open", "dismissed"), ("acknowledged", "resolved"), ("acknowledged", "dismissed")}
CLOSING = {"resolved", "dismissed"}


@pytest.fixture
def parties() -> Partners:
    return make_partners()


@pytest.fixture
def youth(client: TestClient, parties: Partners) -> YouthRef:
    return make_youths(client, parties.municipality)[0]


def _get(client: TestClient, partner: Any, signal_id: str) -> Any:
    return client.get(f"{URL}/{signal_id}", headers=partner.headers)


def test_visible_to_routed_accountable_and_chain_for_escalated_only(
    client: TestClient, parties: Partners, youth: YouthRef
) -> None:
    routed = insert_signal(youth, parties.leerplicht)
    escalated = insert_signal(youth, parties.leerplicht, escalated=True)
    closed = insert_signal(youth, parties.leerplicht, escalated=True, status="resolved")
    make_accountable(youth, parties.youth_care)

    assert _get(client, parties.leerplicht, routed).json()["relation"] == "routed"
    assert _get(client, parties.youth_care, routed).json()["relation"] == "accountable"
    for outsider in (parties.school, parties.doorstroompunt, parties.municipality):
        response = _get(client, outsider, routed)
        assert response.status_code == 404
        assert response.headers["content-type"] == "application/problem+json"
    # chain:manage reads escalated active signals (relation "accountable": it may read, not change them).
    assert _get(client, parties.municipality, escalated).json()["relation"] == "accountable"
    assert _get(client, parties.municipality, closed).status_code == 404
    assert _get(client, parties.leerplicht, str(uuid.uuid4())).status_code == 404
    assert _get(client, parties.leerplicht, "not-a-uuid").status_code == 404

    def listed(partner: Any) -> dict[str, str]:
        body = client.get(URL, headers=partner.headers).json()
        return {item["id"]: item["relation"] for item in body["items"]}

    assert listed(parties.leerplicht) == {routed: "routed", escalated: "routed", closed: "routed"}
    assert listed(parties.youth_care) == {routed: "accountable", escalated: "accountable", closed: "accountable"}
    assert listed(parties.municipality) == {escalated: "accountable"}
    assert listed(parties.school) == {}


def test_a_municipality_key_without_chain_manage_sees_no_escalations(
    client: TestClient, parties: Partners, youth: YouthRef
) -> None:
    escalated = insert_signal(youth, parties.leerplicht, escalated=True)
    reader = make_partner(["youth-coach"], scopes=["signals:read"])
    assert _get(client, reader, escalated).status_code == 404
    assert client.get(URL, headers=reader.headers).json() == {"items": [], "next": None}


def test_signal_body_and_youth_summary(client: TestClient, parties: Partners, settings_env: pytest.MonkeyPatch) -> None:
    enrolled = {
        "episodeId": "enr-1",
        "brin": SCHOOL_BRIN,
        "sector": "vo",
        "track": "havo",
        "grade": 3,
        "finalYear": False,
        "startDate": "2025-08-18",
    }
    (youth,) = make_youths(client, parties.municipality, extra=[(parties.school, "education.enrolled", enrolled)])
    (qualified,) = make_youths(
        client,
        parties.municipality,
        birth=date(2004, 6, 1),
        extra=[(parties.school, "education.qualified", {"qualification": "mbo-2", "date": "2025-07-01"})],
    )
    unborn = make_unregistered_youth(client, parties.youth_coach)
    set_today(settings_env, date(2026, 3, 2))
    signal_id = insert_signal(youth, parties.leerplicht)
    make_accountable(youth, parties.youth_care)

    body = _get(client, parties.leerplicht, signal_id).json()
    assert set(body) == {
        "id",
        "type",
        "severity",
        "status",
        "dedupeKey",
        "raisedOn",
        "deadline",
        "escalated",
        "escalatedAt",
        "routedTo",
        "relation",
        "reasons",
        "youth",
        "history",
    }
    assert body["raisedOn"] == "2026-01-19"
    assert body["deadline"] == "2026-01-26"
    assert body["escalatedAt"] is None
    assert body["routedTo"] == parties.leerplicht.id
    assert body["youth"] == {
        "id": youth.key,
        "age": 15,
        "ageBand": "12-15",
        "district": DISTRICT,
        "enrolled": True,
        "sector": "vo",
        "startkwalificatie": False,
        "accountablePartnerId": parties.youth_care.id,
    }
    assert body["history"] == [
        {"at": "2026-01-19T08:00:00Z", "kind": "raised", "status": "open", "partnerId": None, "reason": None}
    ]

    other = _get(client, parties.leerplicht, insert_signal(qualified, parties.leerplicht)).json()["youth"]
    assert other["startkwalificatie"] is True
    assert (other["age"], other["ageBand"], other["enrolled"], other["sector"]) == (21, "18-22", False, "none")
    assert other["accountablePartnerId"] is None
    unknown = _get(client, parties.leerplicht, insert_signal(unborn, parties.leerplicht)).json()["youth"]
    assert (unknown["age"], unknown["ageBand"], unknown["district"]) == (None, "unknown", None)
    assert unknown["startkwalificatie"] is False


def test_facts_of_other_domains_only_for_care_coach_and_municipality(
    client: TestClient, parties: Partners, youth: YouthRef
) -> None:
    reasons = [
        {"code": "hours", "facts": {"hours": 17}, "domain": None},
        {"code": "care-ended", "facts": {"ended": "2026-01-02"}, "domain": "care"},
        {"code": "life-domains-low", "facts": {"finances": 1}, "domain": "life-domains"},
    ]
    signal_id = insert_signal(youth, parties.leerplicht, reasons=reasons, escalated=True)
    make_accountable(youth, parties.youth_care)

    hidden = _get(client, parties.leerplicht, signal_id).json()["reasons"]
    assert hidden == [
        {"code": "hours", "facts": {"hours": 17}},
        {"code": "other-domain", "facts": None},
        {"code": "other-domain", "facts": None},
    ]
    shown = [{"code": r["code"], "facts": r["facts"]} for r in reasons]
    assert _get(client, parties.youth_care, signal_id).json()["reasons"] == shown
    assert _get(client, parties.municipality, signal_id).json()["reasons"] == shown
    listed = client.get(URL, headers=parties.leerplicht.headers).json()["items"][0]["reasons"]
    assert listed == hidden


def test_pages_through_120_signals_newest_first_without_gaps(
    client: TestClient, parties: Partners, youth: YouthRef
) -> None:
    second = make_youths(client, parties.municipality)[0]
    created = []
    for n in range(120):
        # Groups of seven share a creation time: the id breaks the tie, so no row is skipped or repeated.
        moment = BASE_TIME + timedelta(minutes=n // 7)
        created.append((moment, insert_signal(youth if n % 2 else second, parties.leerplicht, created_at=moment)))
    expected = [signal_id for _, signal_id in sorted(created, key=lambda c: (c[0], uuid.UUID(c[1])), reverse=True)]

    seen: list[str] = []
    sizes = []
    url: str | None = URL
    while url is not None:
        response = client.get(url, headers=parties.leerplicht.headers)
        assert response.status_code == 200, response.text
        body = response.json()
        sizes.append(len(body["items"]))
        seen += [item["id"] for item in body["items"]]
        url = body["next"]
        if url is not None:
            assert url.startswith("http://testserver/signals/v1/signals?cursor=")
    assert sizes == [50, 50, 20]
    assert seen == expected
    assert len(audit_rows()) == 2 * 3  # every page audits each of its youths

    small = client.get(URL, params={"limit": 7, "status": "open"}, headers=parties.leerplicht.headers).json()
    assert [item["id"] for item in small["items"]] == expected[:7]
    assert "status=open" in small["next"] and "limit=7" in small["next"]
    following = client.get(small["next"], headers=parties.leerplicht.headers).json()
    assert [item["id"] for item in following["items"]] == expected[7:14]


def test_filters_and_bad_query_values(client: TestClient, parties: Partners, youth: YouthRef) -> None:
    opened = insert_signal(youth, parties.leerplicht)
    acknowledged = insert_signal(youth, parties.leerplicht, status="acknowledged", type_="long-term-absence")
    escalated = insert_signal(youth, parties.leerplicht, escalated=True, type_="absolute-absence")

    def ids(**params: str) -> set[str]:
        response = client.get(URL, params=params, headers=parties.leerplicht.headers)
        assert response.status_code == 200, response.text
        return {item["id"] for item in response.json()["items"]}

    assert ids(status="open") == {opened, escalated}
    assert ids(status="acknowledged") == {acknowledged}
    assert ids(type="long-term-absence") == {acknowledged}
    assert ids(escalated="true") == {escalated}
    assert ids(escalated="false", status="open") == {opened}
    assert ids(status="resolved") == set()

    for params, name in [
        ({"status": "closed"}, "status"),
        ({"type": "absence"}, "type"),
        ({"escalated": "maybe"}, "escalated"),
        ({"limit": "0"}, "limit"),
        ({"limit": "201"}, "limit"),
        ({"cursor": "bm90LWEtY3Vyc29y"}, "cursor"),
        ({"cursor": "%%%"}, "cursor"),
    ]:
        response = client.get(URL, params=params, headers=parties.leerplicht.headers)
        assert response.status_code == 400, params
        assert names(response) == [name]


@pytest.mark.parametrize("current", ALL)
@pytest.mark.parametrize("target", ALL)
def test_every_status_change(client: TestClient, parties: Partners, youth: YouthRef, current: str, target: str) -> None:
    signal_id = insert_signal(youth, parties.leerplicht, status=current)
    body: dict[str, Any] = {"status": target}
    if target in CLOSING:
        body["reason"] = {"code": "back-in-education", "note": "Ingeschreven op het Da Vinci College."}
    response = client.patch(f"{URL}/{signal_id}", json=body, headers=parties.leerplicht.headers)
    if (current, target) not in LEGAL:
        assert response.status_code == 409, response.text
        assert _get(client, parties.leerplicht, signal_id).json()["status"] == current
        return
    assert response.status_code == 200, response.text
    changed = response.json()
    assert changed["status"] == target
    last = changed["history"][-1]
    assert (last["kind"], last["status"], last["partnerId"]) == ("status", target, parties.leerplicht.id)
    with get_engine().connect() as connection:
        row = connection.execute(
            text("SELECT acknowledged_at, closed_at, close_reason_code, close_note FROM signals WHERE id = :id"),
            {"id": uuid.UUID(signal_id)},
        ).one()
    if target in CLOSING:
        assert last["reason"] == body["reason"]
        assert row.closed_at is not None and row.close_reason_code == "back-in-education"
        assert row.close_note == body["reason"]["note"]
    else:
        assert last["reason"] is None
        assert row.acknowledged_at is not None and row.closed_at is None
    assert [a["action"] for a in audit_rows(youth)][-1] == "change"


def test_closing_needs_a_valid_reason(client: TestClient, parties: Partners, youth: YouthRef) -> None:
    signal_id = insert_signal(youth, parties.leerplicht, status="acknowledged")
    url, headers = f"{URL}/{signal_id}", parties.leerplicht.headers
    cases = [
        ({"status": "resolved"}, ["/reason"]),
        ({"status": "dismissed", "reason": None}, ["/reason"]),
        ({"status": "resolved", "reason": {"code": "bored", "note": "x"}}, ["/reason/code"]),
        ({"status": "resolved", "reason": {"note": "x"}}, ["/reason/code"]),
        ({"status": "resolved", "reason": {"code": "work", "note": "x" * 501}}, ["/reason/note"]),
        ({"status": "gone"}, ["/status"]),
        ({}, ["/status"]),
    ]
    for body, pointers in cases:
        response = client.patch(url, json=body, headers=headers)
        assert response.status_code == 400, body
        assert names(response) == pointers, body
    ok = {"status": "resolved", "reason": {"code": "work", "note": "x" * 500}}
    assert client.patch(url, json=ok, headers=headers).status_code == 200


def test_only_the_routed_partner_changes_a_signal(client: TestClient, parties: Partners, youth: YouthRef) -> None:
    signal_id = insert_signal(youth, parties.leerplicht, escalated=True)
    make_accountable(youth, parties.youth_care)
    acknowledge = {"status": "acknowledged"}
    url = f"{URL}/{signal_id}"
    assert client.patch(url, json=acknowledge, headers=parties.youth_care.headers).status_code == 403
    assert client.patch(url, json=acknowledge, headers=parties.municipality.headers).status_code == 403
    assert client.patch(url, json=acknowledge, headers=parties.school.headers).status_code == 404
    assert client.patch(url, json=acknowledge, headers=parties.leerplicht.headers).status_code == 200


def test_scope_is_checked_before_existence(client: TestClient, parties: Partners) -> None:
    reader = make_partner(["leerplicht"], scopes=["signals:read"])
    writer = make_partner(["leerplicht"], scopes=["signals:write"])
    unknown = f"{URL}/{uuid.uuid4()}"
    assert client.patch(unknown, json={"status": "acknowledged"}, headers=reader.headers).status_code == 403
    assert client.patch(unknown, json={"status": "nonsense"}, headers=reader.headers).status_code == 403
    assert client.get(unknown, headers=writer.headers).status_code == 403
    assert client.get(URL, params={"status": "nonsense"}, headers=writer.headers).status_code == 403
    assert client.patch(unknown, json={"status": "acknowledged"}, headers=writer.headers).status_code == 404
    missing = client.get(unknown)
    assert missing.status_code == 401
    assert missing.headers["www-authenticate"] == "Bearer"
    assert client.get(f"{URL}/", headers=parties.leerplicht.headers).status_code == 404


def test_reads_are_audited_with_their_purpose(client: TestClient, parties: Partners, youth: YouthRef) -> None:
    signal_id = insert_signal(youth, parties.leerplicht)
    headers = {**parties.leerplicht.headers, "X-Purpose": "Gesprek met ouders voorbereiden"}
    assert client.get(f"{URL}/{signal_id}", headers=headers).status_code == 200
    (entry,) = audit_rows(youth)
    assert entry["action"] == "read"
    assert entry["endpoint"] == "GET /signals/v1/signals/{signal_id}"
    assert entry["purpose"] == "Gesprek met ouders voorbereiden"
    assert str(entry["partner_id"]) == parties.leerplicht.id
    assert str(entry["key_id"]) == parties.leerplicht.key_id

    too_long = {**parties.leerplicht.headers, "X-Purpose": "x" * 201}
    response = client.get(f"{URL}/{signal_id}", headers=too_long)
    assert response.status_code == 400
    assert names(response) == ["X-Purpose"]
    # Not visible: nothing read, nothing logged.
    assert client.get(f"{URL}/{signal_id}", headers=parties.school.headers).status_code == 404
    assert len(audit_rows(youth)) == 1
