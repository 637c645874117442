# SPDX-License-Identifier: EUPL-1.2
"""Postgres restarted while intake is under load: clients get 503 problem+json with Retry-After (not a hang, not
a 500), the service recovers by itself, and every event answered 202 is stored once.

The database is a private PostgreSQL cluster of this test (tests.processes.PostgresServer): the machine's
shared server, where other test runs keep their databases, is never restarted.
"""

from __future__ import annotations

import json
import os
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest

from tests.cli.test_embedded import GLANSRIJK, add_partner, json_out
from tests.factories import bsn
from tests.processes import PostgresServer, api_server

OIN_SCHOOL = "00000001002222222000"
STRUCTURED = {"Content-Type": "application/cloudevents+json"}
# Longer than any answer may take: a request left hanging on a dead database fails the test.
CLIENT_TIMEOUT = 20.0


@dataclass(frozen=True)
class Answer:
    event_id: str
    status: int | None
    content_type: str
    retry_after: str | None
    seconds: float
    at: float


@pytest.fixture
def postgres() -> Iterator[PostgresServer]:
    server = PostgresServer()
    server.init()
    server.start()
    try:
        yield server
    finally:
        server.remove()


def _event(event_id: str, number: str, week: int) -> dict[str, Any]:
    return {
        "specversion": "1.0",
        "id": event_id,
        "source": f"urn:nld:oin:{OIN_SCHOOL}:systeem:test",
        "type": "nl.glansrijk.education.absence-reported",
        "time": "2026-01-19T08:15:00+01:00",
        "datacontenttype": "application/json",
        "data": {
            "person": {"bsn": number},
            "brin": "12AB",
            "weekStart": (date(2025, 9, 1) + timedelta(weeks=week)).isoformat(),
            "scheduledHours": 26,
            "unauthorizedHours": 1,
            "authorizedHours": 0,
        },
    }


class Load:
    """One client posting single events back to back on a thread until stopped, recording every answer."""

    def __init__(self, url: str, key: str) -> None:
        self.url, self.key = url, key
        self.answers: list[Answer] = []
        self.bodies: dict[str, dict[str, Any]] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._numbers = [bsn() for _ in range(50)]

    def _run(self) -> None:
        headers = {"Authorization": f"Bearer {self.key}", **STRUCTURED}
        serial = 0
        with httpx.Client(timeout=CLIENT_TIMEOUT) as client:
            while not self._stop.is_set():
                serial += 1
                body = _event(f"load-{serial}", self._numbers[serial % 50], serial % 16)
                self.bodies[body["id"]] = body
                started = time.monotonic()
                try:
                    response = client.post(self.url, content=json.dumps(body), headers=headers)
                    status, ctype, retry = (
                        response.status_code,
                        response.headers.get("content-type", ""),
                        response.headers.get("retry-after"),
                    )
                except httpx.HTTPError:
                    status, ctype, retry = None, "", None
                now = time.monotonic()
                self.answers.append(Answer(body["id"], status, ctype, retry, now - started, now))
                if status != 202:
                    time.sleep(0.1)  # as a client told to retry later would, if a little impatiently

    def __enter__(self) -> Load:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=CLIENT_TIMEOUT + 5)


def _clean_env() -> dict[str, str]:
    return {name: value for name, value in os.environ.items() if not name.startswith("GLANSRIJK_")}


def _stored(postgres: PostgresServer) -> list[str]:
    with psycopg.connect(postgres.dsn("glansrijk")) as connection:
        return [row[0] for row in connection.execute("SELECT event_id FROM events")]


def test_intake_answers_503_while_postgres_restarts_and_recovers(tmp_path: Path, postgres: PostgresServer) -> None:
    with psycopg.connect(postgres.admin_dsn, autocommit=True) as connection:
        connection.execute("CREATE DATABASE glansrijk")
    env = {"GLANSRIJK_DATABASE_URL": postgres.url("glansrijk")}
    cli_env = {**_clean_env(), **env}
    migrated = subprocess.run([GLANSRIJK, "migrate"], cwd=tmp_path, env=cli_env, capture_output=True, check=False)
    assert migrated.returncode == 0, migrated.stderr
    school = add_partner(tmp_path, cli_env, "School", "school", OIN_SCHOOL, "--brin", "12AB")
    key = str(json_out(tmp_path, cli_env, "keys", "create", "--partner", school, "--scopes", "events:write")["key"])
    headers = {"Authorization": f"Bearer {key}", **STRUCTURED}
    with api_server("intake", env=env) as base:
        url = f"{base}/intake/v1/events"
        with Load(url, key) as load:
            time.sleep(2)
            down_at = time.monotonic()
            postgres.stop()
            time.sleep(3)
            postgres.start()
            up_at = time.monotonic()
            time.sleep(5)
        # The client sends the refused events again, with the same ids, as Retry-After tells it to.
        refused = [a for a in load.answers if a.status == 503]
        with httpx.Client(timeout=CLIENT_TIMEOUT) as client:
            resent = [client.post(url, content=json.dumps(load.bodies[a.event_id]), headers=headers) for a in refused]

    answers = load.answers
    assert answers, "the load sent nothing"
    statuses = {a.status for a in answers}
    assert statuses <= {202, 503}, statuses  # never a 500, never a dropped connection
    assert refused, "no request met the database down"
    for answer in refused:
        assert answer.content_type == "application/problem+json"
        assert answer.retry_after is not None and answer.retry_after.isdigit()
    assert max(a.seconds for a in answers) < 10, "a request hung on the dead database"
    assert any(a.status == 202 for a in answers if a.at < down_at)
    assert all(a.status == 202 for a in answers if a.at > up_at + 2), "the service did not recover by itself"
    assert [r.status_code for r in resent] == [202] * len(resent)

    # Every event answered 202 (at first or when sent again) is stored, once: nothing half-stored, nothing lost.
    stored = _stored(postgres)
    assert len(stored) == len(set(stored))
    assert set(stored) == {a.event_id for a in answers if a.status == 202} | {a.event_id for a in refused}
