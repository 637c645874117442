# SPDX-License-Identifier: EUPL-1.2
"""Retention (ADR 0027): the daily task erases youths without activity for GLANSRIJK_RETENTION_YEARS that are
outside the target group and have no active signal, and deletes finished webhook deliveries after 90 days;
it keeps the audit log, the cube, frozen measurements and pending deliveries."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import insert, select, text

from services.core.clock import utcnow
from services.core.db import get_engine
from services.core.models import Delivery, Subscription, Youth
from services.privacy.tasks import retention
from tests.factories import event, post
from tests.intake.support import Partners
from tests.privacy.conftest import cli
from tests.signals.api_support import YouthRef, audit_rows, insert_signal, make_youths

LONG_AGO = datetime(2020, 3, 1, 9, 0, tzinfo=UTC)


def _deregister(client: TestClient, parties: Partners, youth: YouthRef) -> None:
    data = {"date": "2020-02-20", "reason": "moved-out"}
    gone = event(parties.municipality, "person.deregistered", data, person={"bsn": youth.bsn})
    assert post(client, parties.municipality, gone).status_code == 202


def _backdate(youth: YouthRef, moment: datetime = LONG_AGO) -> None:
    """Every trace of the youth dated `moment`: as if nothing happened since."""
    with get_engine().begin() as connection:
        connection.execute(text("UPDATE youths SET created_at = :at WHERE id = :id"), {"at": moment, "id": youth.id})
        connection.execute(
            text("UPDATE events SET received_at = :at WHERE youth_id = :id"), {"at": moment, "id": youth.id}
        )
        connection.execute(
            text("UPDATE signal_changes SET at = :at WHERE signal_id IN (SELECT id FROM signals WHERE youth_id = :id)"),
            {"at": moment, "id": youth.id},
        )


def _exists(youth: YouthRef) -> bool:
    with get_engine().connect() as connection:
        return connection.execute(select(Youth.id).where(Youth.id == youth.id)).first() is not None


def test_retention_erases_the_inactive_and_keeps_whom_a_partner_still_serves(
    client: TestClient, parties: Partners, settings_env: pytest.MonkeyPatch
) -> None:
    moved, still_living_here, open_signal, recent = make_youths(client, parties.municipality, 4)
    [aged_out] = make_youths(client, parties.municipality, birth=date(1995, 1, 1))
    for youth in (moved, open_signal, recent):
        _deregister(client, parties, youth)
    closed = insert_signal(moved, parties.leerplicht, status="resolved", created_at=LONG_AGO)
    insert_signal(open_signal, parties.leerplicht, created_at=LONG_AGO)
    for youth in (moved, still_living_here, open_signal, aged_out):
        _backdate(youth)

    outcome = retention()
    assert sorted(outcome.erased) == sorted([moved.id, aged_out.id])
    assert outcome.kept_in_target_group == 1
    assert [_exists(y) for y in (moved, still_living_here, open_signal, recent, aged_out)] == [
        False,
        True,
        True,
        True,
        False,
    ]
    with get_engine().connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM signals WHERE id = :id"), {"id": closed}).scalar() == 0
    erased_rows = [(r["youth_id"], r["action"], r["endpoint"], r["key_id"]) for r in audit_rows()]
    assert sorted(erased_rows, key=str) == sorted(
        [(y.id, "erase", "task privacy.retention", None) for y in (moved, aged_out)], key=str
    )
    assert retention().erased == [], "a second run finds nothing left"


def test_the_retention_years_come_from_the_settings(
    client: TestClient, parties: Partners, settings_env: pytest.MonkeyPatch
) -> None:
    [youth] = make_youths(client, parties.municipality)
    _deregister(client, parties, youth)
    _backdate(youth, utcnow() - timedelta(days=3 * 366))
    assert retention().erased == []
    settings_env.setenv("GLANSRIJK_RETENTION_YEARS", "2")
    from services.core.settings import reset_settings

    reset_settings()
    result = cli("retention")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["erased"] == 1
    assert not _exists(youth)


def test_retention_deletes_finished_deliveries_after_90_days(parties: Partners) -> None:
    now = utcnow()
    subscription = uuid.uuid4()
    partner = uuid.UUID(parties.leerplicht.id)
    with get_engine().begin() as connection:
        connection.execute(
            insert(Subscription),
            [
                {
                    "id": subscription,
                    "partner_id": partner,
                    "url": "https://example.org/hook",
                    "types": ["*"],
                    "status": "active",
                    "secret": b"s" * 32,
                    "created_at": now,
                    "updated_at": now,
                }
            ],
        )
        rows = []
        for status, age in [("succeeded", 91), ("failed", 91), ("skipped", 91), ("pending", 91), ("succeeded", 89)]:
            rows.append(
                {
                    "id": uuid.uuid4(),
                    "subscription_id": subscription,
                    "partner_id": partner,
                    "youth_id": None,
                    "type": "nl.glansrijk.signal.raised",
                    "payload": {},
                    "status": status,
                    "created_at": now - timedelta(days=age),
                }
            )
        connection.execute(insert(Delivery), rows)
    assert retention().deliveries_deleted == 3
    with get_engine().connect() as connection:
        left = connection.execute(select(Delivery.status).order_by(Delivery.status)).scalars().all()
    assert left == ["pending", "succeeded"], "work in progress and the last 90 days stay"
