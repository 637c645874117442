# SPDX-License-Identifier: EUPL-1.2
"""The youth's objection (bezwaar): recorded with its reason and audited; from then on only the rules of a legal
duty raise signals about the youth (ADR 0026)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from services.core.db import get_engine
from services.core.identity import pseudonymise
from services.core.models import Objection, Youth
from services.core.settings import reset_settings
from services.signals.evaluation.service import is_legal_duty
from services.signals.rules.candidate import Candidate, Route
from tests.intake.support import Partners
from tests.privacy.conftest import cli
from tests.signals.api_support import YouthRef, audit_rows, make_accountable, names
from tests.signals.support import World, of_type

BASE = "/signals/v1/youths"


def test_the_accountable_partner_records_an_objection_once(
    client: TestClient, parties: Partners, youth: YouthRef
) -> None:
    make_accountable(youth, parties.youth_coach)
    url = f"{BASE}/{youth.key}/objection"
    assert client.post(url, json={"reason": "x"}, headers=parties.leerplicht.headers).status_code == 404
    missing = client.post(url, json={}, headers=parties.youth_coach.headers)
    assert missing.status_code == 400 and names(missing) == ["/reason"]
    too_long = client.post(url, json={"reason": "x" * 501}, headers=parties.youth_coach.headers)
    assert too_long.status_code == 400

    response = client.post(url, json={"reason": "Bezwaar tegen profilering."}, headers=parties.youth_coach.headers)
    assert response.status_code == 201, response.text
    body = response.json()
    assert (body["youthId"], body["partnerId"], body["reason"]) == (
        youth.key,
        parties.youth_coach.id,
        "Bezwaar tegen profilering.",
    )
    assert body["lodgedAt"].endswith("Z")
    again = client.post(url, json={"reason": "Nogmaals."}, headers=parties.youth_coach.headers)
    assert again.status_code == 409
    with get_engine().connect() as connection:
        assert connection.execute(select(Objection.reason)).scalars().all() == ["Bezwaar tegen profilering."]
    assert [(r["action"], r["endpoint"]) for r in audit_rows(youth)] == [
        ("change", "POST /signals/v1/youths/{youth_id}/objection")
    ]


@pytest.mark.parametrize(
    ("type_", "role", "duty"),
    [
        ("absence-16h", "leerplicht", True),
        ("long-term-absence", "leerplicht", True),
        ("absolute-absence", "leerplicht", True),
        ("absence-18plus", "doorstroompunt", True),
        ("no-startkwalificatie", "doorstroompunt", True),
        ("out-of-view", "doorstroompunt", True),
        ("out-of-view", "municipality", False),
        ("mbo-not-applied", "school", False),
        ("dropout-risk", "school", False),
        ("transition-18-no-plan", "youth-care", False),
        ("transition-18-care-gap", "municipality", False),
        ("handover-due-18", "leerplicht", False),
        ("relapse", "youth-coach", False),
        ("handover-stalled", "municipality", False),
    ],
)
def test_which_signals_carry_a_legal_duty(type_: str, role: str, duty: bool) -> None:
    assert is_legal_duty(Candidate(type_, "key", (), Route(role))) is duty


def _youth_id(number: str) -> str:
    with get_engine().connect() as connection:
        found = connection.execute(select(Youth.id).where(Youth.pseudonym == pseudonymise("bsn", number)))
        return str(found.scalar_one())


def test_an_objection_stops_the_rules_without_a_legal_duty(world: World) -> None:
    objecting, other = world.youth(date(2010, 1, 1)), world.youth(date(2010, 1, 1))
    for pupil in (objecting, other):
        pupil.enrol(date(2025, 8, 18), track="vmbo-kb", grade=4, final_year=True)
        monday = date(2026, 3, 2)
        for week in range(4):
            pupil.absence(monday + timedelta(weeks=week), 5)
    world.env.setenv("GLANSRIJK_TODAY", "2026-03-01")
    reset_settings()
    world.flush()
    result = cli("youths", "object", _youth_id(objecting.bsn), "--reason", "Bezwaar", "--purpose", "Besluit 2026-3")
    assert result.exit_code == 0, result.output

    world.scan(date(2026, 4, 2))
    leerplicht = of_type(world.signals(world.partners.leerplicht), "absence-16h")
    school = of_type(world.signals(world.partners.school), "mbo-not-applied")
    assert sorted(s["youth"]["id"] for s in leerplicht) == sorted([_youth_id(objecting.bsn), _youth_id(other.bsn)])
    assert [s["youth"]["id"] for s in school] == [_youth_id(other.bsn)], "the school's signal is not a legal duty"
    everything_else = [s for p in world.partners.__dict__.values() for s in world.signals(p) if s not in leerplicht]
    assert _youth_id(objecting.bsn) not in {s["youth"]["id"] for s in everything_else}
