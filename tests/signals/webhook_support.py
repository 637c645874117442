# SPDX-License-Identifier: EUPL-1.2
"""Helpers of the webhook tests: a subscription at a receiver, a change that produces one delivery, and the
delivery rows and attempts as stored."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from services.core.db import get_engine
from services.core.dispatch import wait_for_tasks
from services.core.models import Delivery, DeliveryAttempt, Subscription
from services.core.settings import reset_settings
from services.signals.webhooks import dispatch
from tests.factories import TestPartner
from tests.intake.support import Partners
from tests.signals.api_support import insert_signal, make_youths

STATUS_CHANGED = "nl.glansrijk.signal.status-changed"


@dataclass
class Hook:
    """Leerplicht's subscription to status changes at a receiver; `change()` makes one delivery."""

    client: TestClient
    partners: Partners
    subscription: dict[str, Any]

    @property
    def owner(self) -> TestPartner:
        return self.partners.leerplicht

    @property
    def id(self) -> str:
        return str(self.subscription["id"])

    def change(self) -> uuid.UUID:
        """Acknowledge a fresh signal routed to leerplicht; the id of the one delivery that wrote."""
        youth = make_youths(self.client, self.partners.municipality)[0]
        signal_id = insert_signal(youth, self.owner)
        before = {d.id for d in deliveries()}
        response = self.client.patch(
            f"/signals/v1/signals/{signal_id}", json={"status": "acknowledged"}, headers=self.owner.headers
        )
        assert response.status_code == 200, response.text
        wait_for_tasks()  # embedded: the dispatcher ran after the commit
        [made] = [d.id for d in deliveries() if d.id not in before]
        return made

    def log(self, **query: Any) -> Any:
        return self.client.get(
            f"/signals/v1/subscriptions/{self.id}/deliveries", params=query, headers=self.owner.headers
        )


def subscribe(client: TestClient, partners: Partners, env: pytest.MonkeyPatch, url: str) -> Hook:
    env.setenv("GLANSRIJK_ALLOW_HTTP_WEBHOOKS", "true")
    reset_settings()
    body = {"url": url, "types": [STATUS_CHANGED]}
    response = client.post("/signals/v1/subscriptions", json=body, headers=partners.leerplicht.headers)
    assert response.status_code == 201, response.text
    return Hook(client, partners, response.json())


def deliveries() -> list[Delivery]:
    with Session(get_engine()) as session:
        rows = list(session.scalars(select(Delivery).order_by(Delivery.created_at, Delivery.id)))
        session.expunge_all()
        return rows


def delivery(delivery_id: uuid.UUID) -> Delivery:
    [found] = [d for d in deliveries() if d.id == delivery_id]
    return found


def attempts(delivery_id: uuid.UUID) -> list[DeliveryAttempt]:
    with Session(get_engine()) as session:
        query = select(DeliveryAttempt).where(DeliveryAttempt.delivery_id == delivery_id).order_by(DeliveryAttempt.id)
        rows = list(session.scalars(query))
        session.expunge_all()
        return rows


def subscription(subscription_id: str) -> Subscription:
    with Session(get_engine()) as session:
        row = session.get(Subscription, uuid.UUID(subscription_id))
        assert row is not None
        session.expunge(row)
        return row


def dispatch_at(moment: datetime) -> int:
    """One dispatcher round with the clock at `moment` (time travel: the schedule is in the database)."""
    clock: Callable[[], datetime] = lambda: moment  # noqa: E731 (a fixed clock)
    return dispatch.deliver_round(clock)


def make_due(delivery_id: uuid.UUID, moment: datetime) -> None:
    """Let a leased delivery's lease end at `moment`, as if its worker had died."""
    with Session(get_engine()) as session, session.begin():
        session.execute(update(Delivery).where(Delivery.id == delivery_id).values(next_attempt_at=moment))
