# SPDX-License-Identifier: EUPL-1.2
"""Every delivered event type, to exactly the partners that may see it (interface.md, "Webhooks").

A youth's signal is raised through the intake API and the daily scan; then it is acknowledged, handed over,
escalated and overridden through the signals API. Each partner subscribes to everything (`*`) at its own
receiver on 127.0.0.1, and each delivery is verified with the official `standardwebhooks` library.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import ExitStack
from datetime import date
from typing import Any

import pytest
import standardwebhooks

from services.core.dispatch import wait_for_tasks
from services.core.settings import reset_settings
from tests.factories import TestPartner
from tests.signals.receiver import Receiver, running_receiver
from tests.signals.support import World

WEEKS = (date(2026, 1, 12), date(2026, 1, 19), date(2026, 1, 26), date(2026, 2, 2))
RAISED_ON = date(2026, 2, 6)
ROLES = ("school", "leerplicht", "doorstroompunt", "social", "youth_care", "youth_coach", "municipality")


class Hooks:
    """One subscription to `*` per partner role, each at its own receiver; `secrets` to verify with."""

    def __init__(self, world: World, receivers: dict[str, Receiver]) -> None:
        self.world = world
        self.receivers = receivers
        self.secrets: dict[str, str] = {}
        world.env.setenv("GLANSRIJK_ALLOW_HTTP_WEBHOOKS", "true")
        reset_settings()
        for role, receiver in receivers.items():
            partner = self.partner(role)
            body = {"url": receiver.url, "types": ["*"]}
            response = world.client.post("/signals/v1/subscriptions", json=body, headers=partner.headers)
            assert response.status_code == 201, response.text
            self.secrets[role] = response.json()["secret"]

    def partner(self, role: str) -> TestPartner:
        partner: TestPartner = getattr(self.world.partners, role)
        return partner

    def events(self, role: str, type_: str | None = None) -> list[dict[str, Any]]:
        """What the role's receiver got, each delivery verified against its subscription's secret."""
        wait_for_tasks()
        found = []
        for request in self.receivers[role].requests:
            standardwebhooks.Webhook(self.secrets[role]).verify(request.body, request.headers)
            event = json.loads(request.body)
            if type_ is None or event["type"] == type_:
                found.append(event)
        return found


@pytest.fixture
def hooks(world: World) -> Iterator[Hooks]:
    with ExitStack() as stack:
        receivers = {role: stack.enter_context(running_receiver(f"/{role}")) for role in ROLES}
        yield Hooks(world, receivers)


def _absence_signal(world: World) -> dict[str, Any]:
    """An `absence-16h` signal routed to leerplicht, which becomes the youth's accountable partner."""
    youth = world.youth(date(2011, 5, 5))
    youth.enrol(date(2025, 8, 18))
    for week in WEEKS:
        youth.absence(week, 4)
    world.scan(RAISED_ON)
    wait_for_tasks()
    [signal] = [s for s in world.signals(world.partners.leerplicht) if s["type"] == "absence-16h"]
    return signal


def _types(events: list[dict[str, Any]]) -> list[str]:
    return [event["type"].removeprefix("nl.glansrijk.") for event in events]


def test_each_change_reaches_the_partners_that_may_see_it(world: World, hooks: Hooks) -> None:
    signal = _absence_signal(world)
    youth_id = signal["youth"]["id"]
    leerplicht, coach, municipality = (hooks.partner(r) for r in ("leerplicht", "youth_coach", "municipality"))
    client = world.client

    # Raised: to the routed partner (leerplicht, now also accountable); `dropout-risk` went to the school.
    [raised] = [
        e for e in hooks.events("leerplicht", "nl.glansrijk.signal.raised") if e["data"]["signalId"] == signal["id"]
    ]
    assert raised["data"]["status"] == "open"
    assert raised["subject"] == youth_id
    assert raised["dataref"].endswith(f"/signals/v1/signals/{signal['id']}")
    assert {e["data"]["signalType"] for e in hooks.events("school")} == {"dropout-risk"}

    # Status changed by the routed partner.
    patched = client.patch(
        f"/signals/v1/signals/{signal['id']}", json={"status": "acknowledged"}, headers=leerplicht.headers
    )
    assert patched.status_code == 200, patched.text
    [changed] = hooks.events("leerplicht", "nl.glansrijk.signal.status-changed")
    assert changed["data"]["status"] == "acknowledged"

    # A handover: requested and answered reach both parties; the accepted one changes accountability.
    requested = client.post(
        f"/signals/v1/youths/{youth_id}/handovers",
        json={"toPartnerId": coach.id, "reason": "Jongerencoach neemt de regie over."},
        headers=leerplicht.headers,
    )
    assert requested.status_code == 201, requested.text
    handover_id = requested.json()["id"]
    accepted = client.patch(f"/signals/v1/handovers/{handover_id}", json={"status": "accepted"}, headers=coach.headers)
    assert accepted.status_code == 200, accepted.text
    for role in ("leerplicht", "youth_coach"):
        [asked] = hooks.events(role, "nl.glansrijk.handover.requested")
        assert asked["data"] == {
            "handoverId": handover_id,
            "youthId": youth_id,
            "status": "pending",
            "partnerId": coach.id,
        }
        assert asked["dataref"].endswith(f"/signals/v1/handovers/{handover_id}")
        [answered] = hooks.events(role, "nl.glansrijk.handover.answered")
        assert answered["data"]["status"] == "accepted"
        [moved] = hooks.events(role, "nl.glansrijk.accountability.changed")
        assert moved["data"] == {"youthId": youth_id, "partnerId": coach.id, "handoverId": handover_id}
        assert moved["dataref"].endswith(f"/signals/v1/youths/{youth_id}")

    # Escalated past its deadline: the routed partner, the accountable partner and the ketenregisseur (the
    # school's `dropout-risk` escalates too: the school, the accountable coach and the ketenregisseur hear of it).
    world.scan(date(2026, 3, 2))
    for role in ("leerplicht", "youth_coach", "municipality"):
        escalated = hooks.events(role, "nl.glansrijk.signal.escalated")
        assert signal["id"] in [e["data"]["signalId"] for e in escalated], role
    assert {e["data"]["signalType"] for e in hooks.events("school", "nl.glansrijk.signal.escalated")} == {
        "dropout-risk"
    }

    # The ketenregisseur's override: the previous and the new accountable partner hear of it.
    doorstroompunt = hooks.partner("doorstroompunt")
    override = client.put(
        f"/signals/v1/youths/{youth_id}/accountability",
        json={"partnerId": doorstroompunt.id},
        headers=municipality.headers,
    )
    assert override.status_code == 200, override.text
    for role in ("youth_coach", "doorstroompunt"):
        [moved] = [
            e
            for e in hooks.events(role, "nl.glansrijk.accountability.changed")
            if e["data"]["partnerId"] == doorstroompunt.id
        ]
        assert moved["data"] == {"youthId": youth_id, "partnerId": doorstroompunt.id}

    # The routed partner resolves the escalated signal: the ketenregisseur, which saw it escalate, hears of it.
    resolved = client.patch(
        f"/signals/v1/signals/{signal['id']}",
        json={"status": "resolved", "reason": {"code": "back-in-education", "note": "Weer op school."}},
        headers=leerplicht.headers,
    )
    assert resolved.status_code == 200, resolved.text
    for role in ("leerplicht", "doorstroompunt", "municipality"):
        statuses = [e["data"]["status"] for e in hooks.events(role, "nl.glansrijk.signal.status-changed")]
        assert statuses[-1] == "resolved", role

    # One sequence number per change of the youth, counting up in the order of the changes (deliveries may
    # arrive in another order: at least once, no global order).
    def sequence(role: str, type_: str, **data: str) -> int:
        [event] = [e for e in hooks.events(role, f"nl.glansrijk.{type_}") if data.items() <= e["data"].items()]
        return int(event["sequence"])

    assert (
        sequence("leerplicht", "signal.raised", signalId=signal["id"])
        < sequence("leerplicht", "signal.status-changed", status="acknowledged")
        < sequence("leerplicht", "handover.requested")
        < sequence("leerplicht", "handover.answered")
        < sequence("leerplicht", "signal.escalated", signalId=signal["id"])
        < sequence("leerplicht", "signal.status-changed", status="resolved")
    )
    for role in ROLES:
        sequences = [e["sequence"] for e in hooks.events(role) if e["subject"] == youth_id]
        assert len(set(sequences)) == len(sequences), role
        assert all(len(s) == 20 and s.isdigit() for s in sequences), role
    # Partners with no part in this youth heard nothing about it.
    assert [e for e in hooks.events("social") if e["subject"] == youth_id] == []


def test_a_subscriber_gets_only_signals_its_partner_may_see(world: World, hooks: Hooks) -> None:
    """Partner isolation: the signals named in a partner's deliveries are exactly those its key can read."""
    for number in range(3):
        youth = world.youth(date(2011, 5, 5 + number))
        youth.enrol(date(2025, 8, 18))
        for week in WEEKS:
            youth.absence(week, 4)
    # An mbo student of 19 with long absence: `absence-18plus` goes to the Doorstroompunt.
    student = world.youth(date(2006, 9, 1))
    student.enrol(date(2025, 8, 18), sector="mbo", track="mbo-2", grade=1)
    for week in WEEKS:
        student.absence(week, 26)
    world.scan(RAISED_ON)

    seen_anything = set()
    for role in ROLES:
        partner = hooks.partner(role)
        delivered = {e["data"]["signalId"] for e in hooks.events(role) if "signalId" in e["data"]}
        visible = {s["id"] for s in world.signals(partner)}
        assert delivered == visible, role
        if delivered:
            seen_anything.add(role)
    assert {"school", "leerplicht", "doorstroompunt"} <= seen_anything
    assert "social" not in seen_anything
