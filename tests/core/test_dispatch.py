# SPDX-License-Identifier: EUPL-1.2
"""Evaluation is queued only after commit, through the outbox; a stopped Redis never makes intake fail."""

from __future__ import annotations

import base64
import json
import time

import httpx
import redis
from sqlalchemy import select

from services.core.db import get_engine
from services.core.models import EventBatch
from tests.factories import STRUCTURED, bsn, event, make_partner
from tests.processes import api_server, free_port

REDIS_DB = 14


def _absence_event(school):  # type: ignore[no-untyped-def]
    return event(
        school,
        "education.absence-reported",
        {"brin": "12AB", "weekStart": "2026-01-12", "scheduledHours": 26, "unauthorizedHours": 4, "authorizedHours": 0},
        person={"bsn": bsn()},
    )


def _batches() -> list[tuple[int, object]]:
    with get_engine().connect() as connection:
        return [tuple(row) for row in connection.execute(select(EventBatch.id, EventBatch.evaluated_at))]


def test_the_evaluation_task_is_published_by_name_after_commit(database_url: str) -> None:
    broker = redis.Redis(host="127.0.0.1", port=6379, db=REDIS_DB)
    broker.delete("celery")
    school = make_partner(["school"], brins=["12AB"])
    env = {"GLANSRIJK_DATABASE_URL": database_url, "GLANSRIJK_REDIS_URL": f"redis://127.0.0.1:6379/{REDIS_DB}"}
    with api_server("intake", env) as base:
        answer = httpx.post(
            f"{base}/intake/v1/events",
            content=json.dumps(_absence_event(school)),
            headers={**school.headers, **STRUCTURED},
        )
        assert answer.status_code == 202
        deadline = time.monotonic() + 10
        while broker.llen("celery") == 0 and time.monotonic() < deadline:
            time.sleep(0.05)
    [(batch_id, evaluated_at)] = _batches()
    assert evaluated_at is None  # the outbox row waits for the signals worker
    message = json.loads(broker.lpop("celery") or b"{}")
    assert message["headers"]["task"] == "signals.evaluate_batch"
    args, _kwargs, _embed = json.loads(base64.b64decode(message["body"]))
    assert args == [batch_id]  # ids only, as design.md asks of task arguments


def test_a_stopped_redis_does_not_make_intake_fail_or_wait(database_url: str) -> None:
    school = make_partner(["school"], brins=["12AB"])
    dead_broker = f"redis://127.0.0.1:{free_port()}/0"  # nothing listens there
    env = {"GLANSRIJK_DATABASE_URL": database_url, "GLANSRIJK_REDIS_URL": dead_broker}
    with api_server("intake", env) as base, httpx.Client(base_url=base) as http:
        durations = []
        for _ in range(5):
            started = time.perf_counter()
            answer = http.post(
                "/intake/v1/events",
                content=json.dumps(_absence_event(school)),
                headers={**school.headers, **STRUCTURED},
            )
            durations.append(time.perf_counter() - started)
            assert answer.status_code == 202
            assert answer.json()["accepted"] == 1
    batches = _batches()
    assert len(batches) == 5
    assert all(evaluated_at is None for _, evaluated_at in batches)  # kept for the sweep: nothing lost
    # Not a timing benchmark: only that no request waited for the broker's connect retries (seconds each).
    assert max(durations) < 3.0
