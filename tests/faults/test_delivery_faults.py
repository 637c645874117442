# SPDX-License-Identifier: EUPL-1.2
"""Faults around delivery: a receiver down for an hour, and beat started twice."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta
from typing import Any

import httpx
from celery import Celery

from services.core.clock import utcnow
from tests.faults.support import (
    RAISED,
    TODAY,
    assert_deliveries_complete,
    assert_signals_once,
    post_all,
    signal_count,
    sql,
    truant_events,
    unevaluated,
    wait_until,
)
from tests.intake.support import Partners, make_partners
from tests.processes import RedisServer, api_server, free_port, start_process
from tests.signals.receiver import Receiver, running_receiver
from tests.signals.webhook_support import make_due

HOUR = timedelta(hours=1)


def _subscribe(base: str, partners: Partners, url: str) -> None:
    created = httpx.post(
        f"{base}/signals/v1/subscriptions",
        json={"url": url, "types": [RAISED]},
        headers=partners.leerplicht.headers,
        timeout=10,
    )
    assert created.status_code == 201, created.text


def _deliveries() -> list[tuple[str, str, int, Any, Any]]:
    """(id, status, attempts, last attempt, next attempt) of every delivery, as stored."""
    rows = sql(
        "SELECT coalesce(json_agg(json_build_array(id, status, attempts, last_attempt_at, next_attempt_at)), '[]') "
        "FROM deliveries"
    )
    return [tuple(row) for row in rows]


def _attempted(count: int) -> bool:
    """Every delivery has had `count` attempts (or is no longer pending)."""
    return all(status != "pending" or attempts >= count for _, status, attempts, *_ in _deliveries())


def test_a_receiver_down_for_an_hour_gets_everything_when_it_is_back(env: dict[str, str], processes: list[Any]) -> None:
    """The receiver refuses connections for an hour of simulated time: the clock is moved on by making each
    scheduled retry due at once (the schedule lives in the database), not by sleeping."""
    env = {**env, "GLANSRIJK_ALLOW_HTTP_WEBHOOKS": "true"}
    youths = 4
    partners = make_partners()
    port = free_port()  # nothing listens here until the receiver comes back
    processes.append(start_process(["worker", "--concurrency", "1"], env))
    processes.append(start_process(["beat"], env))
    with api_server("all", env=env) as base:
        _subscribe(base, partners, f"http://127.0.0.1:{port}/hook")
        school, registrations = truant_events(partners, youths)
        post_all(base, partners.school, school)
        post_all(base, partners.municipality, registrations)
    wait_until(lambda: len(_deliveries()) == 2 * youths and _attempted(1), 60, "the first attempts")

    down_for = timedelta(0)
    attempts = 1
    while down_for < HOUR:
        # Jump to the next scheduled retry: the time skipped counts as time the receiver was down.
        gaps = [_gap(last, next_at) for _, status, _, last, next_at in _deliveries() if status == "pending" and next_at]
        down_for += max(gaps)
        if down_for >= HOUR:
            break
        for delivery_id, *_ in _deliveries():
            make_due(delivery_id, utcnow())
        attempts += 1
        wait_until(lambda n=attempts: _attempted(n), 60, f"attempt {attempts}")
    assert attempts == 4  # at 0 s, 5 s, 5 min and 35 min; the next is due at about 2 h 35 min
    assert {status for _, status, *_ in _deliveries()} == {"pending"}
    assert sql("SELECT count(*) FROM subscriptions WHERE status = 'active'") == 1  # 5 days, not 1 hour

    with running_receiver(port=port) as receiver:
        for delivery_id, *_ in _deliveries():
            make_due(delivery_id, utcnow())
        wait_until(lambda: {status for _, status, *_ in _deliveries()} == {"succeeded"}, 60, "every delivery")
        seen = Counter(request.webhook_id for request in receiver.requests)
    assert sorted(seen.values()) == [1] * 2 * youths
    assert {attempts for _, _, attempts, *_ in _deliveries()} == {5}
    errors = sql("SELECT array_agg(DISTINCT error_class) FROM delivery_attempts WHERE http_status IS NULL")
    assert errors == ["connection-error"]
    assert sql("SELECT count(*) FROM subscriptions WHERE failing_since IS NULL AND status = 'active'") == 1
    assert_signals_once("absence-16h", youths)
    assert_deliveries_complete()


def _gap(last: str, next_at: str) -> timedelta:
    return datetime.fromisoformat(next_at) - datetime.fromisoformat(last)


def test_two_beats_raise_and_deliver_nothing_twice(
    redis: RedisServer, env: dict[str, str], processes: list[Any], receiver: Receiver
) -> None:
    """A second beat by mistake sends every periodic task twice: sweeps, dispatches, the daily scan."""
    env = {**env, "GLANSRIJK_ALLOW_HTTP_WEBHOOKS": "true"}
    youths = 30
    partners = make_partners()
    for _ in range(2):
        processes.append(start_process(["beat"], env))
    processes.append(start_process(["worker", "--concurrency", "2"], env))
    with api_server("all", env=env) as base:
        _subscribe(base, partners, receiver.url)
        school, registrations = truant_events(partners, youths)
        post_all(base, partners.school, school)
        post_all(base, partners.municipality, registrations)
        # Both beats' daily scans at 6:00, and each of them once more for good measure.
        client = Celery(broker=redis.url)
        for _ in range(4):
            client.send_task("signals.daily_scan", args=[TODAY])
        wait_until(lambda: signal_count() == youths and unevaluated() == 0, 90, "the signals")
        wait_until(
            lambda: int(sql("SELECT count(*) FROM deliveries WHERE status = 'succeeded'")) == 2 * youths,
            60,
            "the deliveries",
        )
    assert_signals_once("absence-16h", youths)
    assert_signals_once("dropout-risk", youths)
    assert_deliveries_complete()
    # Two dispatchers never send the same delivery at once: each webhook-id arrived exactly once.
    seen = Counter(request.webhook_id for request in receiver.requests)
    assert len(seen) == 2 * youths
    assert set(seen.values()) == {1}
