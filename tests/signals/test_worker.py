# SPDX-License-Identifier: EUPL-1.2
"""A real Celery worker against a real Redis: signals appear, also after a killed worker or a stopped Redis.

Each test starts its own redis-server on a free port, `glansrijk serve all`, `glansrijk worker` and, where the
outbox sweep is what must recover, `glansrijk beat`, all as subprocesses on the test's Postgres database.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from typing import Any

import httpx
import pytest
from celery import Celery
from sqlalchemy import text

from services.core.db import get_engine
from tests.factories import TestPartner, bsn, event
from tests.intake.support import SCHOOL_BRIN, Partners, make_partners
from tests.processes import RedisServer, api_server, kill_group, start_process, stop_group

pytestmark = pytest.mark.worker

TODAY = "2026-02-06"
WEEKS = (date(2026, 1, 12), date(2026, 1, 19), date(2026, 1, 26), date(2026, 2, 2))
BATCH = {"Content-Type": "application/cloudevents-batch+json"}


def _sql(query: str, **params: Any) -> Any:
    with get_engine().connect() as connection:
        return connection.execute(text(query), params).scalar_one()


def signal_count() -> int:
    return int(_sql("SELECT count(*) FROM signals WHERE type = 'absence-16h'"))


def wait_until(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def truant_events(partners: Partners, youths: int) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """School events (an enrolment and 16 unauthorised hours in 4 lesweken) and registrations for `youths`."""
    school, registrations = [], []
    moment = datetime(2026, 2, 5, 12, tzinfo=UTC)
    for _ in range(youths):
        person = {"bsn": bsn()}
        enrolment = {
            "episodeId": "e1",
            "brin": SCHOOL_BRIN,
            "sector": "vo",
            "track": "havo",
            "grade": 3,
            "finalYear": False,
            "startDate": "2025-08-18",
        }
        school.append(event(partners.school, "education.enrolled", enrolment, person=person, time=moment))
        for week in WEEKS:
            hours = {
                "brin": SCHOOL_BRIN,
                "weekStart": week.isoformat(),
                "scheduledHours": 26,
                "unauthorizedHours": 4,
                "authorizedHours": 0,
            }
            school.append(event(partners.school, "education.absence-reported", hours, person=person, time=moment))
        registered = {"since": "2011-05-05", "districtCode": "WK050501"}
        registrations.append(
            event(
                partners.municipality,
                "person.registered",
                registered,
                person={**person, "birthDate": "2011-05-05"},
                time=moment,
            )
        )
    return school, registrations


def post_all(base: str, partner: TestPartner, events: list[dict[str, Any]]) -> None:
    headers = {**partner.headers, **BATCH}
    for start in range(0, len(events), 1000):
        body = json.dumps(events[start : start + 1000])
        response = httpx.post(f"{base}/intake/v1/events", content=body, headers=headers, timeout=60)
        assert response.status_code == 202, response.text


@pytest.fixture
def env(redis: RedisServer) -> dict[str, str]:
    return {
        "GLANSRIJK_DATABASE_URL": os.environ["GLANSRIJK_DATABASE_URL"],
        "GLANSRIJK_REDIS_URL": redis.url,
        "GLANSRIJK_TODAY": TODAY,
        "GLANSRIJK_OUTBOX_SWEEP_SECONDS": "1",
    }


@pytest.fixture
def processes() -> Iterator[list[Any]]:
    started: list[Any] = []
    yield started
    for process in started:
        stop_group(process)


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
    assert int(_sql("SELECT count(*) FROM event_batches WHERE evaluated_at IS NULL")) == 0


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
    wait_until(lambda: int(_sql("SELECT count(*) FROM event_batches WHERE evaluated_at IS NULL")) == 0, 60, "outbox")
    assert signal_count() == 0

    client = Celery(broker=redis.url)
    client.send_task("signals.daily_scan", args=[TODAY])
    wait_until(lambda: signal_count() == 1200, 120, "1200 signals from the daily scan")
    raised_on = _sql("SELECT array_agg(DISTINCT raised_on::text) FROM signals WHERE type = 'absence-16h'")
    assert raised_on == [TODAY]


def _worker_writing_signals() -> bool:
    """Another backend holds a lock on `signals`: the worker is in the middle of raising them."""
    return bool(
        _sql(
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
    assert int(_sql("SELECT count(*) FROM event_batches WHERE evaluated_at IS NULL")) > 0

    # The task was never acknowledged; the outbox row is still unevaluated: the beat's sweep sends it again.
    processes.append(start_process(["worker", "--concurrency", "1"], env))
    processes.append(start_process(["beat"], env))
    wait_until(lambda: signal_count() >= youths, 120, f"{youths} signals after the restart")
    time.sleep(2)  # anything still running after the sweep must not add a second signal
    assert signal_count() == youths
    assert int(_sql("SELECT count(DISTINCT youth_id) FROM signals WHERE type = 'absence-16h'")) == youths
    assert int(_sql("SELECT count(*) FROM event_batches WHERE evaluated_at IS NULL")) == 0


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
        assert int(_sql("SELECT count(*) FROM event_batches WHERE evaluated_at IS NULL")) > 0
        time.sleep(2)
        assert signal_count() == 0
        redis.start()
        wait_until(lambda: signal_count() == 10, 90, "10 signals after Redis came back")
    assert int(_sql("SELECT count(*) FROM event_batches WHERE evaluated_at IS NULL")) == 0
