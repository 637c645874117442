# SPDX-License-Identifier: EUPL-1.2
"""A real Celery worker against a real Redis: posted events become signals, and two workers share the daily scan.

Each test starts its own redis-server on a free port, `glansrijk serve all` and `glansrijk worker` as
subprocesses on the test's Postgres database. What happens when a worker dies or Redis stops: tests/faults.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from celery import Celery

from tests.faults.support import TODAY, post_all, signal_count, sql, truant_events, unevaluated, wait_until
from tests.intake.support import make_partners
from tests.processes import RedisServer, api_server, start_process

pytestmark = pytest.mark.worker


def test_posted_events_become_signals_through_the_worker(env: dict[str, str], processes: list[Any]) -> None:
    partners = make_partners()
    processes.append(start_process(["worker", "--concurrency", "1"], env))
    school, registrations = truant_events(partners, 20)
    with api_server("all", env=env) as base:
        post_all(base, partners.school, school)
        post_all(base, partners.municipality, registrations)
        wait_until(lambda: signal_count() == 20, 60, "20 absence-16h signals")
        listed = httpx.get(f"{base}/signals/v1/signals", headers=partners.leerplicht.headers, timeout=10).json()
    routed = [item for item in listed["items"] if item["relation"] == "routed"]
    assert len(routed) == 20
    assert {item["type"] for item in routed} == {"absence-16h"}
    # Leerplicht became accountable with its first signal, so it also sees the schools' dropout-risk signals.
    assert {item["type"] for item in listed["items"] if item["relation"] == "accountable"} == {"dropout-risk"}
    assert unevaluated() == 0


def test_the_daily_scan_is_shared_by_two_workers_in_chunks(
    redis: RedisServer, env: dict[str, str], processes: list[Any]
) -> None:
    partners = make_partners()
    # The clock on 1 January when the events arrive: the absence weeks lie ahead, nothing fires yet.
    early = {**env, "GLANSRIJK_TODAY": "2026-01-01"}
    for _ in range(2):
        processes.append(start_process(["worker", "--concurrency", "1"], early))
    school, registrations = truant_events(partners, 1200)
    with api_server("all", env=early) as base:
        post_all(base, partners.school, school)
        post_all(base, partners.municipality, registrations)
    wait_until(lambda: unevaluated() == 0, 60, "outbox")
    assert signal_count() == 0

    client = Celery(broker=redis.url)
    client.send_task("signals.daily_scan", args=[TODAY])
    wait_until(lambda: signal_count() == 1200, 120, "1200 signals from the daily scan")
    raised_on = sql("SELECT array_agg(DISTINCT raised_on::text) FROM signals WHERE type = 'absence-16h'")
    assert raised_on == [TODAY]
