# SPDX-License-Identifier: EUPL-1.2
"""One partner's resources, and the keys that try to reach them: the world of the access-matrix tests.

The owner (leerplicht) has a youth it is accountable for, a signal routed to it, a handover it requested, a
subscription with a delivery. The foreign partner (a youth coach) holds every scope it may hold and posted
nothing about that youth. The municipality holds one key per scope, so that each scope is tried alone.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import insert

from services.cli import admin
from services.core.db import get_engine
from services.core.models import Delivery
from services.core.scopes import Scope
from services.core.settings import reset_settings
from tests.factories import TestPartner, event, make_partner
from tests.signals.api_support import YouthRef, insert_signal, make_accountable, make_youths


@dataclass
class World:
    municipality: TestPartner
    owner: TestPartner
    receiver: TestPartner
    foreign: TestPartner
    youth: YouthRef
    signal: str
    handover: str
    subscription: str
    delivery: str
    # scope -> a key of the municipality holding that scope only
    scope_keys: dict[str, str] = field(default_factory=dict)

    def fill(self, path: str) -> str:
        return path.format(
            signal=self.signal,
            youth=self.youth.key,
            handover=self.handover,
            subscription=self.subscription,
            delivery=self.delivery,
            measurement=uuid.uuid4(),
            code="signals-raised",
            entity="Observations",
        )

    @property
    def owned_ids(self) -> set[str]:
        return {self.signal, self.youth.key, self.handover, self.subscription, self.delivery}


def build_world(client: TestClient, env: pytest.MonkeyPatch) -> World:
    env.setenv("GLANSRIJK_ALLOW_HTTP_WEBHOOKS", "true")
    reset_settings()
    municipality = make_partner(["municipality"])
    owner = make_partner(["leerplicht"])
    receiver = make_partner(["doorstroompunt"])
    foreign = make_partner(["youth-coach"])
    youth = make_youths(client, municipality)[0]
    signal = insert_signal(youth, owner)
    make_accountable(youth, owner)
    handover = client.post(
        f"/signals/v1/youths/{youth.key}/handovers",
        json={"toPartnerId": receiver.id, "reason": "Wordt 18; doorstroompunt neemt over."},
        headers=owner.headers,
    )
    assert handover.status_code == 201, handover.text
    subscription = client.post(
        "/signals/v1/subscriptions",
        json={"url": "http://127.0.0.1:9/hook", "types": ["nl.glansrijk.*"]},
        headers=owner.headers,
    )
    assert subscription.status_code == 201, subscription.text
    subscription_id = subscription.json()["id"]
    delivery_id = uuid.uuid4()
    row = {
        "id": delivery_id,
        "subscription_id": uuid.UUID(subscription_id),
        "partner_id": uuid.UUID(owner.id),
        "youth_id": youth.id,
        "type": "nl.glansrijk.signal.raised",
        "payload": {"data": {"signalId": signal}},
        "status": "failed",
        "attempts": 1,
        "created_at": datetime(2026, 1, 20, 9, 0, tzinfo=UTC),
    }
    with get_engine().begin() as connection:
        connection.execute(insert(Delivery), [row])
    world = World(
        municipality, owner, receiver, foreign, youth, signal, handover.json()["id"], subscription_id, str(delivery_id)
    )
    for scope in Scope:
        _, key = admin.create_key(uuid.UUID(municipality.id), [scope.value], None)
        world.scope_keys[scope.value] = key
    return world


def municipality_event(world: World) -> dict[str, object]:
    """An event the municipality may post: what a key with `events:write` sends."""
    data = {"date": "2026-01-31", "reason": "moved-out"}
    return event(world.municipality, "person.deregistered", data, person={"bsn": world.youth.bsn})
