# SPDX-License-Identifier: EUPL-1.2
"""The production shape on 127.0.0.1 for `bench.webhooks` and `bench.load`, on a simulated population: a clone
of the population (bench/population.py), its daily scan on D run first, a private Redis, the APIs, a real worker
(and beat), a webhook sink, a key for each simulated partner and the leerplicht partner's subscription to
`signal.raised`; staged deliveries, and the absence reports that raise an `absence-16h` signal for youths of the
population. Every process is stopped when the block ends.

The clone has no signals (the population is loaded without them): the daily scan on D raises its standing
signals before the subscription exists, so that an event raises only what it adds, as in a running municipality,
and no webhook goes out for the backlog."""

from __future__ import annotations

import itertools
import logging
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from datetime import time as time_of_day
from pathlib import Path
from typing import Any

import httpx
import orjson
import psycopg
from celery import Celery

from bench import common, population

RAISED = "nl.glansrijk.signal.raised"
# The keys the bench makes for the simulated partners (services/simulator/partners.py), by handle; the other
# partners' keys may only post events.
SCOPES = {
    "municipality": ["events:write", "reporting:read"],
    "leerplicht": ["events:write", "signals:read", "subscriptions:manage"],
}
EVENTS_ONLY = ["events:write"]
SCHOOL = "vo"  # the school partner whose pupils the latency run triggers (it posts for its four BRINs)


@dataclass
class Stack:
    database: str
    population: population.Population
    api_url: str
    sink_url: str
    secret: str
    subscription_id: str
    celery: Celery
    keys: dict[str, str]  # partner handle -> plain API key
    scan_seconds: float
    scan_raised: int
    pids: dict[str, int] = field(default_factory=dict)

    def headers(self, handle: str) -> dict[str, str]:
        # The signals API wants a purpose on every read of personal data (ADR 0025).
        return {"Authorization": f"Bearer {self.keys[handle]}", "X-Purpose": "Load test"}

    @property
    def day(self) -> date:
        return self.population.day


def wait_for(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise RuntimeError(f"timed out after {timeout} s waiting for {what}")


@contextmanager
def _redis() -> Iterator[tuple[str, int]]:
    port = common.free_port()
    process = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        yield f"redis://127.0.0.1:{port}/0", process.pid
    finally:
        process.terminate()
        process.wait(timeout=10)


@contextmanager
def _process(name: str, args: list[str], env: dict[str, str]) -> Iterator[int]:
    """`glansrijk ARGS` in a process group of its own; yields its pid (also its group id)."""
    log_path = Path(tempfile.gettempdir()) / f"glansrijk-bench-{name}-{os.getpid()}.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "services.cli.main", *args],
            cwd=common.ROOT,
            env={**os.environ, **env},
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        yield process.pid
    finally:
        os.killpg(process.pid, 15)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, 9)
            process.wait(timeout=10)


def _keys() -> dict[str, str]:
    """A key for each simulated partner of the population (found by OIN), scoped as SCOPES says; handle -> key."""
    from services.cli import admin
    from services.simulator.partners import PARTNERS

    by_oin = {p["oin"]: uuid.UUID(p["id"]) for p in admin.list_partners()}
    return {p.handle: admin.create_key(by_oin[p.oin], SCOPES.get(p.handle, EVENTS_ONLY), None)[1] for p in PARTNERS}


def scan(database: str, day: date) -> tuple[float, int]:
    """The daily scan on `day` in process (`runner.scan`): (seconds, signals raised)."""
    with population.services_on(database, day):
        from services.signals.evaluation import runner

        started = time.perf_counter()
        outcome = runner.scan(day)
        return time.perf_counter() - started, len(outcome.raised)


@contextmanager
def bench_stack(
    pop: population.Population, database: str, *, held: bool = False, beat: bool = False
) -> Iterator[Stack]:
    """`database` a fresh clone of the population (as it stood at its cutoff with `held`), scanned on D, then the
    processes with `GLANSRIJK_TODAY` = D; `Stack.pids` names them for memory readings. The database is dropped
    afterwards."""
    # A SIGTERM (a timeout, a supervisor) unwinds like an exception, so the processes below get stopped; the
    # services' own warnings (the development keys) would only clutter the benchmark's output.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    logging.getLogger("services").setLevel(logging.ERROR)
    (population.clone_held if held else population.clone)(pop, database)
    try:
        print(
            f"  {database}: a clone of {pop.held_template if held else pop.template}; daily scan on {pop.day} ...",
            flush=True,
        )
        scan_seconds, scan_raised = scan(database, pop.day)
        print(f"  the scan raised {scan_raised:,} signals in {scan_seconds:.1f} s", flush=True)
        with _processes(pop, database, beat, scan_seconds, scan_raised) as stack:
            yield stack
    finally:
        with psycopg.connect(common.admin_dsn(), autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")


@contextmanager
def _processes(
    pop: population.Population, database: str, beat: bool, scan_seconds: float, scan_raised: int
) -> Iterator[Stack]:
    url = population.database_url(database)
    os.environ["GLANSRIJK_DATABASE_URL"] = url
    os.environ.pop("GLANSRIJK_REDIS_URL", None)
    from services.core.db import dispose_engines
    from services.core.settings import reset_settings

    reset_settings()
    dispose_engines()
    keys = _keys()
    with ExitStack() as stack, _redis() as (redis_url, redis_pid):
        env = {
            "GLANSRIJK_DATABASE_URL": url,
            "GLANSRIJK_REDIS_URL": redis_url,
            "GLANSRIJK_TODAY": pop.day.isoformat(),
            "GLANSRIJK_EDUCATION_DATA_COMPLETE": "true",  # as the population was built: every rule runs
            "GLANSRIJK_ALLOW_HTTP_WEBHOOKS": "true",
            # The bench drives a few keys at the intake's peak, far past a partner's per-key limit (ADR 0028).
            "GLANSRIJK_RATE_LIMIT_PER_MINUTE": "0",
        }
        sink = stack.enter_context(common.uvicorn_server("sink", "bench.webhook_sink:create_app", "/health", {}))
        api = stack.enter_context(
            common.uvicorn_server("api", "services.app:all_services", "/signals/v1/health", env, keep_broker=True)
        )
        pids = {"api": api.process.pid, "sink": sink.process.pid, "redis": redis_pid}
        pids["worker"] = stack.enter_context(_process("worker", ["worker", "--concurrency", "2"], env))
        if beat:
            pids["beat"] = stack.enter_context(_process("beat", ["beat"], env))
        created = httpx.post(
            f"{api.base_url}/signals/v1/subscriptions",
            json={"url": f"{sink.base_url}/hook", "types": [RAISED]},
            headers={"Authorization": f"Bearer {keys['leerplicht']}"},
            timeout=30,
        )
        created.raise_for_status()
        try:
            yield Stack(
                database,
                pop,
                api.base_url,
                f"{sink.base_url}/hook",
                created.json()["secret"],
                created.json()["id"],
                Celery(broker=redis_url),
                keys,
                scan_seconds,
                scan_raised,
                pids=pids,
            )
        finally:
            dispose_engines()


def stage_deliveries(stack: Stack, count: int) -> list[dict[str, Any]]:
    """`count` pending deliveries of `signal.raised` for the subscription, not yet due; their payloads."""
    from sqlalchemy import insert

    from services.core.db import transaction
    from services.core.models import Delivery
    from services.signals.webhooks.outbox import Change, cloud_event

    now = datetime.now(UTC)
    rows, payloads = [], []
    for number in range(count):
        youth_id, signal_id, event_id = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
        data = {
            "signalId": str(signal_id),
            "youthId": str(youth_id),
            "signalType": "absence-16h",
            "severity": "medium",
            "status": "open",
            "reasonCodes": ["unauthorized-hours"],
        }
        change = Change(RAISED, youth_id, now, (), data, f"/signals/v1/signals/{signal_id}")
        payload = cloud_event(change, event_id, number + 1)
        payloads.append(payload)
        rows.append(
            {
                "id": event_id,
                "subscription_id": uuid.UUID(stack.subscription_id),
                "partner_id": uuid.uuid4(),
                "youth_id": youth_id,
                "type": RAISED,
                "payload": payload,
                "status": "pending",
                "attempts": 0,
                "round_attempts": 0,
                "next_attempt_at": now + timedelta(days=1),
                "created_at": now,
            }
        )
    with transaction() as session:
        session.execute(insert(Delivery), rows)
    return payloads


def drain_outbox(stack: Stack) -> None:
    """Wait until the worker evaluated every accepted request."""
    with psycopg.connect(common.admin_dsn(stack.database), autocommit=True) as conn:

        def evaluated() -> bool:
            row = conn.execute("SELECT count(*) FROM event_batches WHERE evaluated_at IS NULL").fetchone()
            return bool(row is not None and row[0] == 0)

        wait_for(evaluated, 300, "the accepted events to be evaluated")


@dataclass(frozen=True)
class Report:
    """One youth's weekly absence report at a school, as stored (`absence_weeks`), with the youth's BSN."""

    bsn: str
    brin: str
    week: date
    scheduled: float
    unauthorized: float
    authorized: float


def _hours(value: float) -> float | int:
    """Whole hours as the schools post them (the table stores doubles)."""
    return int(value) if float(value).is_integer() else value


def absence_body(stack: Stack, report: Report, event_id: str, handle: str = SCHOOL) -> dict[str, Any]:
    """The school's `absence-reported` event for `report`, registered at 06:00 UTC on D."""
    from services.simulator.partners import SOURCE_OF

    data = {
        "person": {"bsn": report.bsn},
        "brin": report.brin,
        "weekStart": report.week.isoformat(),
        "scheduledHours": _hours(report.scheduled),
        "unauthorizedHours": _hours(report.unauthorized),
        "authorizedHours": _hours(report.authorized),
    }
    moment = datetime.combine(stack.day, time_of_day(6), tzinfo=UTC)
    return {
        "specversion": "1.0",
        "id": event_id,
        "source": SOURCE_OF[handle],
        "type": "nl.glansrijk.education.absence-reported",
        "time": moment.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "datacontenttype": "application/json",
        "data": data,
    }


def _brins(handle: str) -> list[str]:
    from services.simulator.partners import PARTNER_BY_HANDLE

    return list(PARTNER_BY_HANDLE[handle].brins)


def _reports(stack: Stack, sql: str, params: dict[str, Any]) -> list[Report]:
    """Rows (identifier_ciphertext, brin, week, scheduled, unauthorized, authorized) as reports; the BSN
    decrypted in this process (it has the development keys the population was loaded with)."""
    from services.core.identity import decrypt

    with psycopg.connect(common.admin_dsn(stack.database), autocommit=True) as conn:
        rows = conn.execute(sql, params).fetchall()
    return [Report(decrypt(bytes(row[0])), row[1], row[2], row[3], row[4], row[5]) for row in rows]


def last_reported_week(stack: Stack) -> date:
    with psycopg.connect(common.admin_dsn(stack.database), autocommit=True) as conn:
        row = conn.execute("SELECT max(week_start) FROM absence_weeks").fetchone()
    if row is None or row[0] is None:
        raise RuntimeError(f"{stack.database} holds no absence reports")
    week: date = row[0]
    return week


def stored_reports(stack: Stack, limit: int) -> list[Report]:
    """Up to `limit` absence reports the school (SCHOOL) made in the last four reported weeks, as stored."""
    sql = """
        SELECT y.identifier_ciphertext, a.brin, a.week_start, a.scheduled_hours, a.unauthorized_hours,
               a.authorized_hours
        FROM absence_weeks a JOIN youths y ON y.id = a.youth_id
        WHERE a.brin = ANY(%(brins)s) AND a.week_start > %(since)s
        ORDER BY a.week_start DESC, a.youth_id
        LIMIT %(limit)s
    """
    since = last_reported_week(stack) - timedelta(weeks=4)
    return _reports(stack, sql, {"brins": _brins(SCHOOL), "since": since, "limit": limit})


def neutral_bodies(stack: Stack, reports: list[Report]) -> Iterator[bytes]:
    """Single events that raise nothing: stored reports posted again unchanged (the scan on D raised what they
    give), never the same id twice."""
    if not reports:
        raise RuntimeError("no stored absence reports to post again")
    for serial in itertools.count():
        yield orjson.dumps(absence_body(stack, reports[serial % len(reports)], f"neutral-{serial}"))


def trigger_week(stack: Stack) -> date:
    """The week after the population's last reported week: a new fact for every youth. It must be a week the
    rules see on D (the week of D at the latest)."""
    week = last_reported_week(stack) + timedelta(weeks=1)
    if week > stack.day:
        raise RuntimeError(f"the week after the last reported one, {week}, lies after D = {stack.day}")
    return week


def trigger_reports(stack: Stack, count: int) -> list[Report]:
    """Reports of `count` pupils of the school (SCHOOL) with 16 unauthorised hours in `trigger_week`: each
    completes 16 hours in 4 lesweken and raises `absence-16h` for leerplicht, delivered by webhook.

    The pupils: their latest report is of the last two reported weeks, at one of the school's BRINs, with at
    least 16 scheduled hours; under 16 on the trigger week (leerplichtig), or under 18 without any
    qualification (kwalificatieplichtig); never exempted; no `absence-16h` signal yet (an earlier window could
    block the new one); registered in the municipality on D (the rules leave a youth who moved away to the new
    one: their latest registration up to D, in the order the rules take, is no deregistration). Fewer than
    `count` when the population has fewer."""
    week = trigger_week(stack)
    sql = """
        SELECT y.identifier_ciphertext, a.brin, a.week_start, a.scheduled_hours, a.unauthorized_hours,
               a.authorized_hours
        FROM (SELECT DISTINCT ON (youth_id) * FROM absence_weeks ORDER BY youth_id, week_start DESC) a
        JOIN youths y ON y.id = a.youth_id
        JOIN youth_profiles p ON p.youth_id = a.youth_id
        WHERE a.week_start >= %(recent)s AND a.brin = ANY(%(brins)s) AND a.scheduled_hours >= 16
          AND p.birth_date > %(eighteen)s
          AND (p.birth_date > %(sixteen)s
               OR NOT EXISTS (SELECT 1 FROM facts f WHERE f.youth_id = a.youth_id AND f.kind = 'qualification'))
          AND NOT EXISTS (SELECT 1 FROM episodes e WHERE e.youth_id = a.youth_id AND e.kind = 'exemption')
          AND NOT EXISTS (SELECT 1 FROM signals s WHERE s.youth_id = a.youth_id AND s.type = 'absence-16h')
          AND (SELECT r.kind FROM registrations r WHERE r.youth_id = a.youth_id AND r.date <= %(day)s
               ORDER BY r.date DESC, r.event_seq DESC LIMIT 1) = 'registered'
        ORDER BY a.youth_id
        LIMIT %(count)s
    """
    params = {
        "recent": week - timedelta(weeks=2),
        "brins": _brins(SCHOOL),
        "eighteen": week.replace(year=week.year - 18),
        "sixteen": week.replace(year=week.year - 16),
        "count": count,
        "day": stack.day,
    }
    return [Report(r.bsn, r.brin, week, r.scheduled, 16.0, 0.0) for r in _reports(stack, sql, params)]


def trigger_bodies(stack: Stack, reports: list[Report]) -> list[bytes]:
    return [orjson.dumps(absence_body(stack, report, f"trigger-{index}")) for index, report in enumerate(reports)]
