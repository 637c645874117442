# SPDX-License-Identifier: EUPL-1.2
"""The export of everything held about one youth (AVG art. 15): complete, without the identifier, audited,
for the accountable partner over HTTP and for the privacy officer on the command line."""

from __future__ import annotations

import json

from fastapi.testclient import TestClient

from tests.factories import event, post
from tests.intake.support import Partners
from tests.privacy.conftest import cli
from tests.signals.api_support import YouthRef, audit_rows, insert_signal, make_accountable

BASE = "/signals/v1/youths"


def test_the_export_holds_everything_about_the_youth_and_no_identifier(
    client: TestClient, parties: Partners, youth: YouthRef
) -> None:
    contact = event(
        parties.youth_coach,
        "support.contact",
        {"date": "2026-01-20", "channel": "phone"},
        person={"bsn": youth.bsn, "localId": "C-77"},
    )
    assert post(client, parties.youth_coach, contact).status_code == 202
    signal = insert_signal(youth, parties.leerplicht)
    make_accountable(youth, parties.youth_care)
    handover = client.post(
        f"{BASE}/{youth.key}/handovers",
        json={"toPartnerId": parties.youth_coach.id, "reason": "Jongerencoach neemt over."},
        headers=parties.youth_care.headers,
    )
    assert handover.status_code == 201, handover.text
    objection = client.post(
        f"{BASE}/{youth.key}/objection", json={"reason": "Wil geen risicosignalen."}, headers=parties.youth_care.headers
    )
    assert objection.status_code == 201, objection.text

    response = client.get(f"{BASE}/{youth.key}/export", headers=parties.youth_care.headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["youthId"] == youth.key
    assert body["identifierKind"] == "bsn"
    assert youth.bsn not in response.text and "2010-04-02" not in response.text, "no identifier, no birth date"
    assert {e["type"] for e in body["events"]} >= {
        "person.registered",
        "education.enrolled",
        "support.contact",
    }
    assert all("person" not in e["data"] for e in body["events"])
    assert body["localIds"] == [{"partnerId": parties.youth_coach.id, "localId": "C-77"}]
    [exported] = body["signals"]
    assert (exported["id"], exported["type"], exported["reasons"][0]["facts"]) == (signal, "absence-16h", {"hours": 17})
    assert [c["kind"] for c in exported["history"]] == ["raised"]
    assert [a["partnerId"] for a in body["accountability"]] == [parties.youth_care.id]
    assert [h["toPartnerId"] for h in body["handovers"]] == [parties.youth_coach.id]
    assert body["objection"]["reason"] == "Wil geen risicosignalen."
    assert [a["action"] for a in body["audit"]] == ["change", "change", "export"]
    assert audit_rows(youth)[-1]["endpoint"] == "GET /signals/v1/youths/{youth_id}/export"


def test_the_export_is_only_for_the_accountable_partner(client: TestClient, parties: Partners, youth: YouthRef) -> None:
    insert_signal(youth, parties.leerplicht, escalated=True)
    for partner in (parties.leerplicht, parties.municipality, parties.school):
        assert client.get(f"{BASE}/{youth.key}/export", headers=partner.headers).status_code == 404
    assert audit_rows(youth) == []


def test_the_privacy_officer_exports_on_the_command_line(
    client: TestClient, parties: Partners, youth: YouthRef
) -> None:
    signal = insert_signal(youth, parties.leerplicht)
    result = cli("youths", "export", youth.key, "--purpose", "Inzageverzoek 2026-18")
    assert result.exit_code == 0, result.output
    body = json.loads(result.output)
    assert [s["id"] for s in body["signals"]] == [signal]
    [row] = audit_rows(youth)
    assert (row["action"], row["key_id"], row["endpoint"], row["purpose"]) == (
        "export",
        None,
        "cli youths export",
        "Inzageverzoek 2026-18",
    )
    unknown = cli("youths", "export", "00000000-0000-0000-0000-000000000000", "--purpose", "x")
    assert unknown.exit_code == 1
