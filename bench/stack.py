# SPDX-License-Identifier: EUPL-1.2
"""The production shape on 127.0.0.1 for `bench.webhooks` and `bench.load`: a private Redis, the APIs, a real
worker (and beat), a webhook sink, partners and a subscription; staged deliveries, and youths one absence week
short of an `absence-16h` signal. Every process is stopped when the block ends."""

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
from pathlib import Path
from typing import Any

import httpx
import orjson
import psycopg
from celery import Celery

from bench import common
from bench.intake_events import elfproef_number

BRIN = "12AB"
RAISED = "nl.glansrijk.signal.raised"
PRELOADED_WEEKS = (date(2026, 1, 12), date(2026, 1, 19), date(2026, 1, 26))
TRIGGER_WEEK = date(2026, 2, 2)
# Weeks whose 0 unauthorised hours raise nothing: the single events of the intake peak.
NEUTRAL_WEEKS = tuple(date(2025, 9, 1) + timedelta(weeks=n) for n in range(12))
MOMENT = "2026-02-05T12:00:00Z"


@dataclass
class Stack:
    database: str
    api_url: str
    sink_url: str
    secret: str
    subscription_id: str
    celery: Celery
    sources: dict[str, str]
    keys: dict[str, str]
    pids: dict[str, int] = field(default_factory=dict)
    youths: list[str] = field(default_factory=list)

    def headers(self, role: str) -> dict[str, str]:
        # The signals API wants a purpose on every read of personal data (ADR 0025).
        return {"Authorization": f"Bearer {self.keys[role]}", "X-Purpose": "Load test"}

    @property
    def school_headers(self) -> dict[str, str]:
        return self.headers("school")


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


def _partners() -> tuple[dict[str, str], dict[str, str]]:
    """One partner per role that takes part; their sources and their keys."""
    from services.cli import admin

    admin.migrate()
    scopes = {
        "municipality": ["events:write", "reporting:read"],
        "school": ["events:write"],
        "leerplicht": ["signals:read", "subscriptions:manage"],
    }
    sources, keys = {}, {}
    for number, (role, wanted) in enumerate(scopes.items(), start=1):
        oin = f"00000009{number:012d}"
        brins = [BRIN] if role == "school" else []
        partner_id = admin.add_partner(name=f"Bench {role}", roles=[role], oin=oin, kvk=None, brins=brins)
        keys[role] = admin.create_key(partner_id, wanted, None)[1]
        sources[role] = f"urn:nld:oin:{oin}:systeem:bench"
    return sources, keys


@contextmanager
def bench_stack(today: date, database: str, *, beat: bool = False) -> Iterator[Stack]:
    """A fresh database `database`, then the processes; `Stack.pids` names them for memory readings."""
    # A SIGTERM (a timeout, a supervisor) unwinds like an exception, so the processes below get stopped; the
    # services' own warnings (the development keys) would only clutter the benchmark's output.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    logging.getLogger("services").setLevel(logging.ERROR)
    with psycopg.connect(common.admin_dsn(), autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {database}")
    url = common.bench_url().rsplit("/", 1)[0] + f"/{database}"
    os.environ["GLANSRIJK_DATABASE_URL"] = url
    from services.core.db import dispose_engines
    from services.core.settings import reset_settings

    reset_settings()
    dispose_engines()
    sources, keys = _partners()
    with ExitStack() as stack, _redis() as (redis_url, redis_pid):
        env = {
            "GLANSRIJK_DATABASE_URL": url,
            "GLANSRIJK_REDIS_URL": redis_url,
            "GLANSRIJK_TODAY": today.isoformat(),
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
        yield Stack(
            database,
            api.base_url,
            f"{sink.base_url}/hook",
            created.json()["secret"],
            created.json()["id"],
            Celery(broker=redis_url),
            sources,
            keys,
            pids=pids,
        )
        dispose_engines()


def stage_deliveries(stack: Stack, count: int) -> list[dict[str, Any]]:
    """`count` pending deliveries of `signal.raised` for the subscription, not yet due; their payloads."""
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
        session.execute(Delivery.__table__.insert(), rows)
    return payloads


def _event(source: str, type_: str, event_id: str, data: dict[str, Any]) -> dict[str, Any]:
    return {
        "specversion": "1.0",
        "id": event_id,
        "source": source,
        "type": f"nl.glansrijk.{type_}",
        "time": MOMENT,
        "datacontenttype": "application/json",
        "data": data,
    }


def absence_body(stack: Stack, number: str, week: date, hours: float, event_id: str) -> dict[str, Any]:
    data = {
        "person": {"bsn": number},
        "brin": BRIN,
        "weekStart": week.isoformat(),
        "scheduledHours": 26,
        "unauthorizedHours": hours,
        "authorizedHours": 0,
    }
    return _event(stack.sources["school"], "education.absence-reported", event_id, data)


def preload_youths(stack: Stack, count: int) -> None:
    """Youths of 14, enrolled, with 12 unauthorised hours in 3 lesweken (one 4-hour week short of a signal);
    posted in batches through intake and evaluated by the worker before the measurement starts."""
    stack.youths = [elfproef_number(20_000_000 + 41 * n) for n in range(count)]
    school, municipality = [], []
    for index, number in enumerate(stack.youths):
        enrolment = {
            "person": {"bsn": number},
            "episodeId": f"e-{index}",
            "brin": BRIN,
            "sector": "vo",
            "track": "havo",
            "grade": 3,
            "finalYear": False,
            "startDate": "2025-08-18",
        }
        school.append(_event(stack.sources["school"], "education.enrolled", f"enrol-{index}", enrolment))
        school += [absence_body(stack, number, week, 4, f"pre-{index}-{week}") for week in PRELOADED_WEEKS]
        registered = {
            "person": {"bsn": number, "birthDate": "2011-05-05"},
            "districtCode": "WK050501",
            "since": "2011-05-05",
        }
        municipality.append(_event(stack.sources["municipality"], "person.registered", f"brp-{index}", registered))
    for role, events in (("school", school), ("municipality", municipality)):
        headers = {**stack.headers(role), "Content-Type": "application/cloudevents-batch+json"}
        for start in range(0, len(events), 1000):
            body = orjson.dumps(events[start : start + 1000])
            answer = httpx.post(f"{stack.api_url}/intake/v1/events", content=body, headers=headers, timeout=120)
            answer.raise_for_status()
    drain_outbox(stack)


def drain_outbox(stack: Stack) -> None:
    """Wait until the worker evaluated every accepted request."""
    with psycopg.connect(common.admin_dsn(stack.database), autocommit=True) as conn:

        def evaluated() -> bool:
            row = conn.execute("SELECT count(*) FROM event_batches WHERE evaluated_at IS NULL").fetchone()
            return bool(row is not None and row[0] == 0)

        wait_for(evaluated, 300, "the accepted events to be evaluated")


def neutral_bodies(stack: Stack) -> Iterator[bytes]:
    """Single events that raise nothing (0 unauthorised hours in autumn), never the same id twice."""
    for serial in itertools.count():
        number = stack.youths[serial % len(stack.youths)]
        week = NEUTRAL_WEEKS[(serial // len(stack.youths)) % len(NEUTRAL_WEEKS)]
        yield orjson.dumps(absence_body(stack, number, week, 0, f"neutral-{serial}"))


def trigger_bodies(stack: Stack, count: int) -> list[bytes]:
    """The fourth 4-hour week for `count` youths: each raises `absence-16h` for leerplicht, by webhook."""
    return [
        orjson.dumps(absence_body(stack, number, TRIGGER_WEEK, 4, f"trigger-{index}"))
        for index, number in enumerate(stack.youths[:count])
    ]
