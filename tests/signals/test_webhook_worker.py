# SPDX-License-Identifier: EUPL-1.2
"""A real Celery worker killed with SIGKILL in the middle of sending webhooks: after a restart every delivery
completes, and the receiver sees each `webhook-id` at most twice and never loses one ("nothing lost")."""

from __future__ import annotations

import os
import uuid
from collections import Counter
from typing import Any

import httpx
import pytest
import standardwebhooks
from sqlalchemy import select

from services.core.clock import utcnow
from services.core.db import get_engine
from services.core.models import Delivery
from tests.intake.support import make_partners
from tests.processes import RedisServer, api_server, kill_group, start_process, stop_group
from tests.signals.receiver import Receiver
from tests.signals.test_worker import post_all, truant_events, wait_until
from tests.signals.webhook_support import make_due

pytestmark = pytest.mark.worker

RAISED = "nl.glansrijk.signal.raised"
YOUTHS = 3


def _deliveries() -> list[tuple[uuid.UUID, str, int]]:
    with get_engine().connect() as connection:
        rows = connection.execute(
            select(Delivery.id, Delivery.status, Delivery.attempts).where(Delivery.type == RAISED)
        )
        return [(row.id, row.status, row.attempts) for row in rows]


def test_a_worker_killed_mid_delivery_loses_nothing(redis: RedisServer, receiver: Receiver) -> None:
    env = {
        "GLANSRIJK_DATABASE_URL": os.environ["GLANSRIJK_DATABASE_URL"],
        "GLANSRIJK_REDIS_URL": redis.url,
        "GLANSRIJK_TODAY": "2026-02-06",
        "GLANSRIJK_ALLOW_HTTP_WEBHOOKS": "true",
    }
    partners = make_partners()
    receiver.hold = True  # every request waits, unanswered: the worker is mid-send when it is killed
    processes: list[Any] = []
    worker = start_process(["worker", "--concurrency", "1"], env)
    try:
        with api_server("all", env=env) as base:
            created = httpx.post(
                f"{base}/signals/v1/subscriptions",
                json={"url": receiver.url, "types": [RAISED]},
                headers=partners.leerplicht.headers,
                timeout=10,
            )
            assert created.status_code == 201, created.text
            secret = created.json()["secret"]
            school, registrations = truant_events(partners, YOUTHS)
            post_all(base, partners.school, school)
            post_all(base, partners.municipality, registrations)
            assert receiver.holding.wait(60), "the worker never started sending"
            kill_group(worker)  # SIGKILL to the worker and its pool while its requests are in flight

        receiver.hold = False
        receiver.release.set()
        # Nothing was recorded for the killed sends: they stay pending, leased to the dead worker.
        # Per youth: its `absence-16h` (routed to leerplicht) and `dropout-risk` (leerplicht is accountable).
        wait_until(lambda: len(_deliveries()) == 2 * YOUTHS, 30, "the deliveries to be written")
        assert {(status, attempts) for _, status, attempts in _deliveries()} == {("pending", 0)}

        # The lease runs out (moved forward in the database instead of waiting two minutes), a new worker and
        # the beat come up, and the dispatcher sends every delivery again.
        for delivery_id, _, _ in _deliveries():
            make_due(delivery_id, utcnow())
        processes.append(start_process(["worker", "--concurrency", "1"], env))
        processes.append(start_process(["beat"], env))
        wait_until(lambda: {status for _, status, _ in _deliveries()} == {"succeeded"}, 60, "every delivery to succeed")
    finally:
        for process in processes:
            stop_group(process)

    seen = Counter(request.webhook_id for request in receiver.requests)
    assert set(seen) == {str(delivery_id) for delivery_id, _, _ in _deliveries()}
    assert all(1 <= count <= 2 for count in seen.values()), seen
    for request in receiver.requests:
        standardwebhooks.Webhook(secret).verify(request.body, request.headers)
