# SPDX-License-Identifier: EUPL-1.2
"""The demo's writes through the public APIs: subscriptions, the population's events, an invalid request, a
repeated one; and waiting until the webhooks have been delivered."""

from __future__ import annotations

import json
import time
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any

import httpx

from services.cli import demo_report
from services.cli.demo_data import bad_events
from services.cli.demo_partners import DemoPartner
from services.cli.demo_server import DemoError
from services.cli.demo_webhooks import TYPES, WebhookReceiver
from services.core.scopes import Scope
from services.simulator import SimEvent

if TYPE_CHECKING:
    from services.cli.demo import DemoKey, Outcome

BATCH = "application/cloudevents-batch+json"
BATCH_SIZE = 500
DELIVERY_TIMEOUT = 60.0


@dataclass
class Tally:
    """The intake's answers per event, by type and by partner."""

    by_type: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    by_partner: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))

    def add(self, partner: DemoPartner, event_type: str, outcome: str) -> None:
        self.by_type[event_type][outcome] += 1
        self.by_partner[partner.name][outcome] += 1


@dataclass
class FirstRequest:
    key: DemoKey | None = None
    bodies: list[dict[str, Any]] = field(default_factory=list)


FIRST = FirstRequest()


def _post(client: httpx.Client, key: DemoKey, bodies: Sequence[dict[str, Any]]) -> httpx.Response:
    headers = {**key.headers, "Content-Type": BATCH}
    return client.post("/intake/v1/events", content=json.dumps(bodies), headers=headers)


def _accepted(response: httpx.Response) -> dict[str, Any]:
    if response.status_code != 202:
        raise DemoError(f"the intake answered {response.status_code}: {response.text[:1000]}")
    answer: dict[str, Any] = response.json()
    return answer


def _record(outcome: Outcome, key: DemoKey, bodies: list[dict[str, Any]], answer: dict[str, Any]) -> None:
    for result in answer["results"]:
        outcome.tally.add(key.partner, str(bodies[result["index"]]["type"]), result["status"])


def subscribe(client: httpx.Client, outcome: Outcome, receiver: WebhookReceiver) -> None:
    """Every partner that may subscribe gets one subscription at its own path of the local receiver."""
    for key in outcome.keys:
        if Scope.SUBSCRIPTIONS_MANAGE not in key.partner.scopes:
            continue
        path = f"/{key.partner.handle}"
        body = {"url": receiver.url + path, "types": TYPES, "description": f"demo receiver for {key.partner.name}"}
        response = client.post("/signals/v1/subscriptions", json=body, headers=key.headers)
        if response.status_code != 201:
            raise DemoError(f"the subscription was answered {response.status_code}: {response.text[:500]}")
        created = response.json()
        receiver.secrets[path] = str(created["secret"])
        outcome.subscriptions[key.partner.handle] = str(created["id"])


def post_population(client: httpx.Client, outcome: Outcome, events: list[SimEvent]) -> None:
    """The events in order of arrival, each partner's from its own key: every BATCH_SIZE events, the waiting
    events of each partner in one request, the partner whose first waiting event arrived first going first (so
    that no request overtakes an earlier-arriving event of another partner by more than one round)."""
    keys = {key.partner.handle: key for key in outcome.keys}
    progress = demo_report.Progress("posting", len(events))
    waiting: dict[str, list[dict[str, Any]]] = {}
    requests = 0

    def send_all() -> None:
        nonlocal requests
        for handle, bodies in list(waiting.items()):  # insertion order: first waiting event first
            key = keys[handle]
            answer = _accepted(_post(client, key, bodies))
            _record(outcome, key, bodies, answer)
            if FIRST.key is None:
                FIRST.key, FIRST.bodies = key, bodies
            requests += 1
            progress.advance(len(bodies))
        waiting.clear()

    pending = 0
    for event in events:
        waiting.setdefault(event.partner, []).append(event.body)
        pending += 1
        if pending >= BATCH_SIZE:
            send_all()
            pending = 0
    send_all()
    progress.finish(f"events in {requests} requests of at most {BATCH_SIZE}")


def post_invalid(client: httpx.Client, outcome: Outcome, as_of: date) -> None:
    """One request of deliberately invalid events: the whole request answers 400 and stores nothing."""
    bodies = bad_events(as_of)
    key = next(k for k in outcome.keys if k.partner.handle == "vo")
    response = _post(client, key, bodies)
    if response.status_code != 400:
        raise DemoError(f"the invalid events were answered {response.status_code}, not 400: {response.text[:500]}")
    outcome.invalid_status = response.status_code
    outcome.invalid_params = list(response.json().get("invalidParams", []))
    for body in bodies:
        outcome.tally.add(key.partner, str(body["type"]), "rejected")


def post_again(client: httpx.Client, outcome: Outcome) -> None:
    """The first request once more: every event is a duplicate and nothing is stored twice."""
    key, bodies = FIRST.key, FIRST.bodies
    if key is None:
        return
    answer = _accepted(_post(client, key, bodies))
    _record(outcome, key, bodies, answer)
    outcome.repost = {"events": len(bodies), "accepted": answer["accepted"], "duplicates": answer["duplicates"]}


def _pending(client: httpx.Client, outcome: Outcome) -> int:
    pending = 0
    for key in outcome.keys:
        subscription = outcome.subscriptions.get(key.partner.handle)
        if subscription is None:
            continue
        url = f"/signals/v1/subscriptions/{subscription}/deliveries"
        response = client.get(url, params={"status": "pending"}, headers=key.headers)
        if response.status_code == 200:
            pending += len(response.json().get("items", []))
    return pending


def wait_for_deliveries(client: httpx.Client, outcome: Outcome, receiver: WebhookReceiver) -> None:
    """Until no delivery is pending (the embedded server sends them after each commit and every 5 s)."""
    began = time.monotonic()
    while time.monotonic() - began < DELIVERY_TIMEOUT:
        if _pending(client, outcome) == 0:
            break
        time.sleep(0.5)
    took = time.monotonic() - began
    demo_report.step("deliveries", f"{receiver.received.total} webhooks received and verified ({took:.1f} s)")
