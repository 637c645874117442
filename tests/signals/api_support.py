# SPDX-License-Identifier: EUPL-1.2
"""Helpers of the signals API tests: youths made through the intake API, signals and accountability seeded.

The rules engine is tested elsewhere; here a test needs signals of an exact shape, so after the youths are
posted (and the evaluation that follows has run) whatever the engine raised is cleared, and the signals,
accountabilities and handovers a test needs are inserted directly.
"""

from __future__ import annotations

import itertools
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, Literal

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import delete, insert, select, text

from services.core.db import get_engine
from services.core.dispatch import wait_for_tasks
from services.core.identity import pseudonymise
from services.core.models import Accountability, AuditEntry, Handover, Signal, SignalChange, Youth
from services.core.settings import reset_settings
from tests.factories import TestPartner, bsn, event, post

DISTRICT = "WK050501"
BASE_TIME = datetime(2026, 1, 19, 8, 0, tzinfo=UTC)
_dedupe = itertools.count(1)


@dataclass(frozen=True)
class YouthRef:
    id: uuid.UUID
    # The identifier the youth was posted with: a BSN unless `kind` says onderwijsnummer.
    bsn: str
    kind: Literal["bsn", "onderwijsnummer"] = "bsn"

    @property
    def key(self) -> str:
        return str(self.id)


def set_today(env: pytest.MonkeyPatch, day: date) -> None:
    env.setenv("GLANSRIJK_TODAY", day.isoformat())
    reset_settings()


def make_youths(
    client: TestClient,
    municipality: TestPartner,
    count: int = 1,
    *,
    birth: date = date(2010, 4, 2),
    extra: list[tuple[TestPartner, str, dict[str, Any]]] | None = None,
    kind: Literal["bsn", "onderwijsnummer"] = "bsn",
) -> list[YouthRef]:
    """`count` youths registered through the intake API; `extra` events go to the first youth."""
    numbers = [bsn() for _ in range(count)]
    registered = []
    for number in numbers:
        person = {kind: number, "birthDate": birth.isoformat()}
        data = {"districtCode": DISTRICT, "since": "2010-05-01"}
        registered.append(event(municipality, "person.registered", data, person=person))
    assert post(client, municipality, registered).status_code == 202
    for partner, type_, data in extra or []:
        response = post(client, partner, event(partner, type_, data, person={kind: numbers[0]}))
        assert response.status_code == 202, response.text
    clear_engine_output()
    with get_engine().connect() as connection:
        found = {pseudonym: youth_id for pseudonym, youth_id in connection.execute(select(Youth.pseudonym, Youth.id))}
    return [YouthRef(found[pseudonymise(kind, number)], number, kind) for number in numbers]


def make_unregistered_youth(client: TestClient, coach: TestPartner) -> YouthRef:
    """A youth known from a support contact only: no registration, no birth date."""
    number = bsn()
    contact = event(coach, "support.contact", {"date": "2026-01-20", "channel": "outreach"}, person={"bsn": number})
    assert post(client, coach, contact).status_code == 202
    clear_engine_output()
    with get_engine().connect() as connection:
        youth_id = connection.execute(
            select(Youth.id).where(Youth.pseudonym == pseudonymise("bsn", number))
        ).scalar_one()
    return YouthRef(youth_id, number)


def clear_engine_output() -> None:
    """Wait for the evaluation the posts queued, then remove what it raised: tests seed their own."""
    wait_for_tasks()
    with get_engine().begin() as connection:
        connection.execute(delete(Accountability))
        connection.execute(delete(Handover))
        connection.execute(delete(Signal))


def insert_signal(
    youth: YouthRef,
    routed_to: TestPartner,
    *,
    type_: str = "absence-16h",
    severity: str = "medium",
    status: str = "open",
    escalated: bool = False,
    reasons: list[dict[str, Any]] | None = None,
    created_at: datetime | None = None,
) -> str:
    signal_id = uuid.uuid4()
    created = created_at or BASE_TIME
    row = {
        "id": signal_id,
        "youth_id": youth.id,
        "type": type_,
        "severity": severity,
        "status": status,
        "dedupe_key": f"key-{next(_dedupe)}",
        "raised_on": date(2026, 1, 19),
        "deadline": date(2026, 1, 26),
        "escalated": escalated,
        "escalated_at": created + timedelta(days=8) if escalated else None,
        "routed_to": uuid.UUID(routed_to.id),
        "reasons": reasons if reasons is not None else [{"code": "hours", "facts": {"hours": 17}, "domain": None}],
        "created_at": created,
    }
    raised = {"signal_id": signal_id, "at": created, "kind": "raised", "status": "open", "partner_id": None}
    with get_engine().begin() as connection:
        connection.execute(insert(Signal), [row])
        connection.execute(insert(SignalChange), [raised])
    return str(signal_id)


def make_accountable(youth: YouthRef, partner: TestPartner, since: datetime = BASE_TIME) -> None:
    row = {"youth_id": youth.id, "partner_id": uuid.UUID(partner.id), "since": since, "cause": "first-signal"}
    with get_engine().begin() as connection:
        connection.execute(insert(Accountability), [row])


def backdate_handover(handover_id: str, requested_at: datetime) -> None:
    with get_engine().begin() as connection:
        connection.execute(
            text("UPDATE handovers SET requested_at = :at WHERE id = :id"),
            {"at": requested_at, "id": uuid.UUID(handover_id)},
        )


def current_accountable(youth: YouthRef) -> list[tuple[str, str]]:
    """(partner id, cause) of every open accountability row of the youth (at most one, the database says)."""
    with get_engine().connect() as connection:
        rows = connection.execute(
            select(Accountability.partner_id, Accountability.cause).where(
                Accountability.youth_id == youth.id, Accountability.until.is_(None)
            )
        )
        return [(str(partner_id), cause) for partner_id, cause in rows]


def audit_rows(youth: YouthRef | None = None) -> list[dict[str, Any]]:
    table = AuditEntry.__table__
    query = select(table).order_by(table.c.id)
    if youth is not None:
        query = query.where(table.c.youth_id == youth.id)
    with get_engine().connect() as connection:
        return [dict(row) for row in connection.execute(query).mappings()]


def names(response: Any) -> list[str]:
    return [p["name"] for p in response.json()["invalidParams"]]
