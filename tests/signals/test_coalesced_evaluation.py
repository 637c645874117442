# SPDX-License-Identifier: EUPL-1.2
"""A burst of single events: the API coalesces their evaluation tasks and the worker takes waiting requests
along (ADR 0019), yet every request is evaluated, without the outbox sweep (no beat runs here)."""

from __future__ import annotations

import base64
import json
import threading
from typing import Any

import httpx
import pytest
import redis as redis_client

from tests.factories import STRUCTURED
from tests.faults.support import signal_count, truant_events, unevaluated, wait_until
from tests.intake.support import make_partners
from tests.processes import RedisServer, api_server, start_process

pytestmark = pytest.mark.worker

REQUESTS = 60


def _post_concurrently(url: str, bodies: list[bytes], headers: dict[str, str], clients: int = 6) -> list[int]:
    statuses: list[int] = []
    lock = threading.Lock()

    def client(part: list[bytes]) -> None:
        with httpx.Client(timeout=30) as http:
            for body in part:
                status = http.post(url, content=body, headers=headers).status_code
                with lock:
                    statuses.append(status)

    threads = [threading.Thread(target=client, args=(bodies[n::clients],)) for n in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return statuses


def _queued_batch_ids(redis: RedisServer) -> list[int]:
    broker = redis_client.Redis.from_url(redis.url)
    ids = []
    for raw in broker.lrange("celery", 0, -1):
        message: dict[str, Any] = json.loads(raw)
        if message["headers"]["task"] == "signals.evaluate_batch":
            args, _kwargs, _embed = json.loads(base64.b64decode(message["body"]))
            ids.append(int(args[0]))
    broker.close()
    return ids


def test_a_burst_of_single_events_is_evaluated_whole_with_fewer_tasks(
    redis: RedisServer, env: dict[str, str], processes: list[Any]
) -> None:
    env = {**env, "GLANSRIJK_OUTBOX_SWEEP_SECONDS": "3600"}  # no sweep may help
    partners = make_partners()
    school_events, registrations = truant_events(partners, REQUESTS)
    with api_server("intake", env=env) as base:
        url = f"{base}/intake/v1/events"
        batch = {**partners.municipality.headers, "Content-Type": "application/cloudevents-batch+json"}
        assert httpx.post(url, content=json.dumps(registrations), headers=batch, timeout=30).status_code == 202
        # The school's enrolments and absence weeks, each in a request of its own.
        bodies = [json.dumps(body).encode() for body in school_events]
        statuses = _post_concurrently(url, bodies, {**partners.school.headers, **STRUCTURED})
        assert statuses == [202] * len(bodies)
        wait_until(lambda: unevaluated() == 1 + len(bodies) and len(_queued_batch_ids(redis)) > 0, 10, "the tasks")
        queued = _queued_batch_ids(redis)
    # Far fewer tasks than requests: the publisher coalesced those sent within a few milliseconds.
    assert 1 <= len(queued) < len(bodies) / 2, len(queued)

    # A worker with only these tasks (and the follow-ups evaluations send themselves) evaluates every request.
    processes.append(start_process(["worker", "--concurrency", "2"], env))
    wait_until(lambda: unevaluated() == 0, 60, "every request to be evaluated")
    assert signal_count() == REQUESTS  # one absence-16h per youth: on the clock's day of `env` its weeks add up
