# SPDX-License-Identifier: EUPL-1.2
"""A worker SIGKILLed in the middle of evaluation and in the middle of delivery, and Redis stopped while events
keep coming: after the fault nothing is lost and nothing is doubled (tests/faults/support.py)."""

from __future__ import annotations

import time
from collections import Counter
from typing import Any

import httpx
import standardwebhooks

from services.core.clock import utcnow
from tests.faults.support import (
    RAISED,
    assert_deliveries_complete,
    assert_signals_once,
    assert_stored_once,
    post_all,
    signal_count,
    sql,
    truant_events,
    unevaluated,
    wait_until,
)
from tests.intake.support import make_partners
from tests.processes import RedisServer, api_server, kill_group, start_process
from tests.signals.receiver import Receiver
from tests.signals.webhook_support import make_due


def _accepted(*batches: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return [(event["source"], event["id"]) for batch in batches for event in batch]


def _worker_writing_signals() -> bool:
    """Another backend holds a lock on `signals`: the worker is in the middle of raising them."""
    return bool(
        sql(
            "SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
            "WHERE l.relation = 'signals'::regclass AND a.pid <> pg_backend_pid() AND a.datname = current_database()"
        )
    )


def test_a_worker_killed_mid_evaluation_leaves_the_signals_to_its_successor_exactly_once(
    env: dict[str, str], processes: list[Any]
) -> None:
    partners = make_partners()
    youths = 1500
    school, registrations = truant_events(partners, youths)
    worker = start_process(["worker", "--concurrency", "1"], env)
    with api_server("all", env=env) as base:
        post_all(base, partners.school, school)
        post_all(base, partners.municipality, registrations)
        wait_until(_worker_writing_signals, 60, "the worker to start raising signals")
        kill_group(worker)  # SIGKILL to the worker and its pool, mid-transaction
    raised_before_restart = signal_count()
    assert raised_before_restart < youths, "the kill came too late to test anything"
    assert unevaluated() > 0

    # The task was never acknowledged; the outbox row is still unevaluated: the beat's sweep sends it again.
    processes.append(start_process(["worker", "--concurrency", "1"], env))
    processes.append(start_process(["beat"], env))
    wait_until(lambda: signal_count() >= youths, 120, f"{youths} signals after the restart")
    time.sleep(2)  # anything still running after the sweep must not add a second signal
    assert unevaluated() == 0
    assert_stored_once(_accepted(school, registrations))
    assert_signals_once("absence-16h", youths)
    assert_signals_once("dropout-risk", youths)
    assert_deliveries_complete()


def test_a_worker_killed_mid_delivery_loses_nothing(
    env: dict[str, str], processes: list[Any], receiver: Receiver
) -> None:
    """After its lease the deliveries complete; the receiver sees each `webhook-id` at most twice, never zero."""
    env = {**env, "GLANSRIJK_ALLOW_HTTP_WEBHOOKS": "true"}
    youths = 3
    partners = make_partners()
    receiver.hold = True  # every request waits, unanswered: the worker is mid-send when it is killed
    worker = start_process(["worker", "--concurrency", "1"], env)
    with api_server("all", env=env) as base:
        created = httpx.post(
            f"{base}/signals/v1/subscriptions",
            json={"url": receiver.url, "types": [RAISED]},
            headers=partners.leerplicht.headers,
            timeout=10,
        )
        assert created.status_code == 201, created.text
        secret = created.json()["secret"]
        school, registrations = truant_events(partners, youths)
        post_all(base, partners.school, school)
        post_all(base, partners.municipality, registrations)
        assert receiver.holding.wait(60), "the worker never started sending"
        kill_group(worker)  # SIGKILL to the worker and its pool while its requests are in flight
    receiver.hold = False
    receiver.release.set()

    # Per youth: its `absence-16h` (routed to leerplicht) and `dropout-risk` (leerplicht is accountable). Nothing
    # was recorded for the killed sends: they stay pending, leased to the dead worker.
    def written() -> list[tuple[str, str, int]]:
        rows = sql("SELECT coalesce(json_agg(json_build_array(id, status, attempts)), '[]') FROM deliveries")
        return [tuple(row) for row in rows]

    wait_until(lambda: len(written()) == 2 * youths, 30, "the deliveries to be written")
    assert {(status, attempts) for _, status, attempts in written()} == {("pending", 0)}
    # The lease runs out (moved forward in the database instead of waiting three minutes), a new worker and the
    # beat come up, and the dispatcher sends every delivery again.
    for delivery_id, _, _ in written():
        make_due(delivery_id, utcnow())
    processes.append(start_process(["worker", "--concurrency", "1"], env))
    processes.append(start_process(["beat"], env))
    wait_until(lambda: {status for _, status, _ in written()} == {"succeeded"}, 60, "every delivery to succeed")

    seen = Counter(request.webhook_id for request in receiver.requests)
    assert set(seen) == {str(delivery_id) for delivery_id, _, _ in written()}
    assert all(1 <= count <= 2 for count in seen.values()), seen
    for request in receiver.requests:
        standardwebhooks.Webhook(secret).verify(request.body, request.headers)
    assert_stored_once(_accepted(school, registrations))
    assert_signals_once("absence-16h", youths)
    assert_deliveries_complete()


def test_events_posted_while_redis_is_down_become_signals_when_it_is_back(
    redis: RedisServer, env: dict[str, str], processes: list[Any]
) -> None:
    partners = make_partners()
    processes.append(start_process(["worker", "--concurrency", "1"], env))
    processes.append(start_process(["beat"], env))
    school, registrations = truant_events(partners, 10)
    with api_server("all", env=env) as base:
        redis.stop()
        started = time.monotonic()
        post_all(base, partners.school, school)
        post_all(base, partners.municipality, registrations)
        # Intake never waits on the broker: the events are committed and answered while Redis is down.
        assert time.monotonic() - started < 15
        assert unevaluated() > 0
        time.sleep(2)
        assert signal_count() == 0
        redis.start()
        wait_until(lambda: signal_count() == 10, 90, "10 signals after Redis came back")
    wait_until(lambda: unevaluated() == 0, 30, "the outbox to be empty")
    assert_stored_once(_accepted(school, registrations))
    assert_signals_once("absence-16h", 10)
    assert_deliveries_complete()
