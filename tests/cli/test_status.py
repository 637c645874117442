# SPDX-License-Identifier: EUPL-1.2
"""`glansrijk status`: the backlogs an operator on call looks at first, and its exit code as a check."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import Connection, insert
from typer.testing import CliRunner

from services.cli.main import app
from services.core.clock import utcnow
from services.core.db import get_engine
from services.core.models import Delivery, EventBatch, Subscription
from services.core.settings import reset_settings
from tests.factories import make_partner
from tests.processes import RedisServer

runner = CliRunner()


def _status() -> tuple[int, dict[str, object]]:
    result = runner.invoke(app, ["status", "--json"])
    return result.exit_code, json.loads(result.stdout)


def test_nothing_behind_is_exit_0() -> None:
    code, report = _status()
    assert code == 0
    assert report["unevaluated_requests"] == 0
    assert report["due_deliveries"] == 0
    assert report["alerts"] == []
    assert report["broker"].startswith("none")


def test_an_old_unevaluated_request_and_an_overdue_delivery_are_alerts() -> None:
    partner = make_partner(["leerplicht"])
    now = utcnow()
    with get_engine().begin() as connection:
        connection.execute(
            insert(EventBatch),
            [
                {
                    "partner_id": uuid.UUID(partner.id),
                    "received_at": now - timedelta(minutes=10),
                    "event_count": 1,
                    "raise_signals": True,
                    "evaluated_at": None,
                }
            ],
        )
        connection.execute(
            insert(Delivery),
            [
                {
                    "id": uuid.uuid4(),
                    "subscription_id": _subscription(connection, partner.id),
                    "partner_id": uuid.UUID(partner.id),
                    "youth_id": None,
                    "type": "nl.glansrijk.signal.raised",
                    "payload": {},
                    "status": "pending",
                    "attempts": 0,
                    "round_attempts": 0,
                    "next_attempt_at": now - timedelta(minutes=7),
                    "created_at": now - timedelta(minutes=7),
                }
            ],
        )
    code, report = _status()
    assert code == 1
    assert report["unevaluated_requests"] == 1
    assert 590 <= report["evaluation_lag_seconds"] <= 700
    assert report["due_deliveries"] == 1
    assert report["alerts"] == ["evaluation-lag", "delivery-lag"]
    assert report["deliveries_last_24h"] == {"pending": 1}
    assert report["subscriptions"] == {"active": 1}


def _subscription(connection: Connection, partner_id: str) -> uuid.UUID:
    subscription_id, now = uuid.uuid4(), utcnow()
    row = {
        "id": subscription_id,
        "partner_id": uuid.UUID(partner_id),
        "url": "https://93.184.215.14/hook",
        "types": ["*"],
        "status": "active",
        "secret": b"not used",
        "created_at": now,
        "updated_at": now,
    }
    connection.execute(insert(Subscription), [row])
    return subscription_id


def test_the_broker_queues_are_counted_and_an_unreachable_broker_is_an_alert(
    redis: RedisServer, settings_env: pytest.MonkeyPatch
) -> None:
    settings_env.setenv("GLANSRIJK_REDIS_URL", redis.url)
    reset_settings()
    code, report = _status()
    assert (code, report["broker"], report["queue_celery"], report["queue_webhooks"]) == (0, "ok", 0, 0)
    redis.stop()
    code, report = _status()
    assert code == 1
    assert report["alerts"] == ["broker-unreachable"]
