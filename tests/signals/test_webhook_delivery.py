# SPDX-License-Identifier: EUPL-1.2
"""Webhook delivery end to end: a raised signal becomes a delivery in its own transaction, and the dispatcher
sends it, signed, to a real receiver on 127.0.0.1 (interface.md, "Webhooks")."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
import standardwebhooks
from sqlalchemy.orm import Session

from services.core.clock import utcnow
from services.core.db import get_engine
from services.core.dispatch import wait_for_tasks
from services.core.models import Delivery, Signal, Subscription
from services.core.settings import reset_settings
from services.signals import tasks
from tests.signals.receiver import Receiver, running_receiver
from tests.signals.support import World
from tests.signals.webhook_support import attempts, deliveries, make_due

RAISED = "nl.glansrijk.signal.raised"
WEEKS = (date(2026, 1, 12), date(2026, 1, 19), date(2026, 1, 26), date(2026, 2, 2))
# The absence case also raises `dropout-risk`; the tests follow the `absence-16h` signal's delivery.
FOLLOWED = "absence-16h"


def _followed(event: dict[str, Any]) -> bool:
    return bool(event["data"].get("signalType") == FOLLOWED)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with running_receiver() as received:
        received.scripted = _followed
        yield received


def _requests(receiver: Receiver) -> list[tuple[str, dict[str, str], bytes]]:
    """What the receiver got about the followed signal: (path, headers, body)."""
    return [(r.path, r.headers, r.body) for r in receiver.requests if _followed(r.event)]


def _subscribe(world: World, url: str, **fields: Any) -> dict[str, Any]:
    world.env.setenv("GLANSRIJK_ALLOW_HTTP_WEBHOOKS", "true")
    reset_settings()
    partner = world.partners.leerplicht
    body = {"url": url, "types": [RAISED], **fields}
    response = world.client.post("/signals/v1/subscriptions", json=body, headers=partner.headers)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def _raise_absence_signal(world: World) -> None:
    youth = world.youth(date(2011, 5, 5))
    youth.enrol(date(2025, 8, 18))
    for week in WEEKS:
        youth.absence(week, 4)
    world.scan(date(2026, 2, 6))
    wait_for_tasks()  # embedded: the dispatcher was sent after the evaluation committed


def _deliveries() -> list[Delivery]:
    return [d for d in deliveries() if d.payload["data"]["signalType"] == FOLLOWED]


def _make_due() -> None:
    for delivery in _deliveries():
        make_due(delivery.id, utcnow())


def test_a_raised_signal_is_delivered_signed(world: World, receiver: Receiver) -> None:
    subscription = _subscribe(world, receiver.url, authToken="tok-123")
    _raise_absence_signal(world)

    [delivery] = _deliveries()
    assert delivery.status == "succeeded"
    assert delivery.attempts == 1
    [(path, headers, body)] = _requests(receiver)
    assert path == "/hook"
    assert headers["content-type"] == "application/cloudevents+json"
    assert headers["webhook-id"] == str(delivery.id)
    assert headers["authorization"] == "Bearer tok-123"
    standardwebhooks.Webhook(subscription["secret"]).verify(body, headers)
    event = json.loads(body)
    [signal] = [s for s in world.signals(world.partners.leerplicht) if s["type"] == FOLLOWED]
    assert event["specversion"] == "1.0"
    assert event["id"] == str(delivery.id)
    assert event["type"] == RAISED
    assert event["source"] == "urn:nld:oin:00000000000000000000:systeem:glansrijk"
    with Session(get_engine()) as session:
        stored = session.get(Signal, uuid.UUID(signal["id"]))
        assert stored is not None
        youth_id = str(stored.youth_id)
    assert event["subject"] == youth_id
    assert len(event["sequence"]) == 20
    assert event["sequence"].isdigit()
    assert event["dataref"].endswith(f"/signals/v1/signals/{signal['id']}")
    assert event["data"] == {
        "signalId": signal["id"],
        "youthId": youth_id,
        "signalType": "absence-16h",
        "severity": "medium",
        "status": "open",
        "reasonCodes": [r["code"] for r in signal["reasons"]],
    }
    # Running the task again sends nothing more: the delivery succeeded.
    assert tasks.deliver_due.run() is None
    assert len(_requests(receiver)) == 1
    [attempt] = attempts(delivery.id)
    assert attempt.http_status == 200
    assert attempt.error_class is None


def test_a_failure_is_retried_with_the_same_webhook_id(world: World, receiver: Receiver) -> None:
    receiver.answers.append((500, {}))
    _subscribe(world, receiver.url)
    _raise_absence_signal(world)

    [delivery] = _deliveries()
    assert (delivery.status, delivery.attempts) == ("pending", 1)
    tasks.deliver_due()  # not due yet: the retry is scheduled about 5 s later
    assert len(_requests(receiver)) == 1
    _make_due()
    tasks.deliver_due()

    [delivery] = _deliveries()
    assert (delivery.status, delivery.attempts) == ("succeeded", 2)
    assert [a.http_status for a in attempts(delivery.id)] == [500, 200]
    assert [headers["webhook-id"] for _, headers, _ in _requests(receiver)] == [str(delivery.id)] * 2


def test_410_disables_the_subscription(world: World, receiver: Receiver) -> None:
    receiver.answers.append((410, {}))
    subscription = _subscribe(world, receiver.url)
    _raise_absence_signal(world)

    [delivery] = _deliveries()
    assert delivery.status == "failed"
    with Session(get_engine()) as session:
        row = session.get(Subscription, uuid.UUID(subscription["id"]))
        assert row is not None
        assert (row.status, row.disabled_reason) == ("disabled", "gone")


def test_a_redirect_is_a_failure_and_not_followed(world: World, receiver: Receiver) -> None:
    receiver.answers.append((302, {"Location": receiver.url + "/elsewhere"}))
    _subscribe(world, receiver.url)
    _raise_absence_signal(world)

    [delivery] = _deliveries()
    assert (delivery.status, delivery.attempts) == ("pending", 1)
    assert [path for path, _, _ in _requests(receiver)] == ["/hook"]
    [attempt] = attempts(delivery.id)
    assert (attempt.http_status, attempt.error_class) == (302, "redirect")


def test_during_a_rotation_both_secrets_sign(world: World, receiver: Receiver) -> None:
    subscription = _subscribe(world, receiver.url)
    rotated = world.client.post(
        f"/signals/v1/subscriptions/{subscription['id']}/rotate-secret", headers=world.partners.leerplicht.headers
    )
    assert rotated.status_code == 200, rotated.text
    _raise_absence_signal(world)

    [(_, headers, body)] = _requests(receiver)
    signatures = headers["webhook-signature"].split(" ")
    assert len(signatures) == 2
    for secret, signature in zip((rotated.json()["secret"], subscription["secret"]), signatures, strict=True):
        standardwebhooks.Webhook(secret).verify(body, {**headers, "webhook-signature": signature})
