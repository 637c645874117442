# SPDX-License-Identifier: EUPL-1.2
"""The embedded default as a user runs it: real `glansrijk` processes on a SQLite file, real HTTP."""

from __future__ import annotations

import hashlib
import json
import os
import queue
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine, func, select

from services.core.db import get_engine
from services.core.models import ApiKey, Event, Youth
from tests.factories import bsn
from tests.processes import free_port, wait_healthy

pytestmark = pytest.mark.embedded

GLANSRIJK = (
    str(Path(sys.executable).with_name("glansrijk"))
    if Path(sys.executable).with_name("glansrijk").exists()
    else (shutil.which("glansrijk") or "glansrijk")
)
OIN_MUNICIPALITY = "00000001001111111000"
OIN_SCHOOL = "00000001002222222000"
STRUCTURED = {"Content-Type": "application/cloudevents+json"}
BATCH = {"Content-Type": "application/cloudevents-batch+json"}


def embedded_env(database: Path) -> dict[str, str]:
    """The user's environment without any GLANSRIJK_ setting, plus a SQLite database (so: no Redis)."""
    env = {name: value for name, value in os.environ.items() if not name.startswith("GLANSRIJK_")}
    env["GLANSRIJK_DATABASE_URL"] = f"sqlite:///{database}"
    return env


def glansrijk(cwd: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([GLANSRIJK, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120)


def json_out(cwd: Path, env: dict[str, str], *args: str) -> dict[str, Any]:
    result = glansrijk(cwd, env, *args, "--json")
    assert result.returncode == 0, result.stderr
    payload: dict[str, Any] = json.loads(result.stdout)
    return payload


def add_partner(cwd: Path, env: dict[str, str], name: str, roles: str, oin: str, *extra: str) -> str:
    return str(json_out(cwd, env, "partners", "add", "--name", name, "--roles", roles, "--oin", oin, *extra)["id"])


def create_key(cwd: Path, env: dict[str, str], partner_id: str) -> str:
    return str(json_out(cwd, env, "keys", "create", "--partner", partner_id, "--scopes", "events:write")["key"])


@contextmanager
def serving(cwd: Path, env: dict[str, str]) -> Iterator[str]:
    port = free_port()
    with (cwd / "server.log").open("wb") as log:
        server = subprocess.Popen(
            [GLANSRIJK, "serve", "all", "--host", "127.0.0.1", "--port", str(port)],
            cwd=cwd,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            base = f"http://127.0.0.1:{port}"
            wait_healthy(f"{base}/intake/v1/health", server)
            yield base
        finally:
            server.terminate()
            try:
                server.wait(timeout=15)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()


def cloud_event(oin: str, type_: str, event_id: str, data: dict[str, Any]) -> dict[str, Any]:
    return {
        "specversion": "1.0",
        "id": event_id,
        "source": f"urn:nld:oin:{oin}:systeem:test",
        "type": f"nl.glansrijk.{type_}",
        "time": "2026-01-19T08:15:00+01:00",
        "datacontenttype": "application/json",
        "data": data,
    }


def absence_case(number: str) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """The school's 16 unauthorised hours in 4 lesweken (BRIN 12AB) and the municipality's registration of a
    youth of 14: with `GLANSRIJK_TODAY=2026-02-06` they raise `absence-16h` for leerplicht."""
    absences = [
        cloud_event(
            OIN_SCHOOL,
            "education.absence-reported",
            f"week-{monday}",
            {
                "person": {"bsn": number},
                "brin": "12AB",
                "weekStart": monday,
                "scheduledHours": 26,
                "unauthorizedHours": 4,
                "authorizedHours": 0,
            },
        )
        for monday in ("2026-01-12", "2026-01-19", "2026-01-26", "2026-02-02")
    ]
    registration = cloud_event(
        OIN_MUNICIPALITY,
        "person.registered",
        "brp-1",
        {"person": {"bsn": number, "birthDate": "2011-05-05"}, "districtCode": "WK050501", "since": "2011-05-05"},
    )
    return absences, registration


def count(url: str, model: type[object]) -> int:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return int(connection.execute(select(func.count()).select_from(model)).scalar_one())
    finally:
        engine.dispose()


def test_serve_all_on_sqlite_takes_events_over_http(tmp_path: Path) -> None:
    database = tmp_path / "e.db"
    env = embedded_env(database)
    migrated = glansrijk(tmp_path, env, "migrate")
    assert migrated.returncode == 0, migrated.stderr
    assert "schema is up to date" in migrated.stdout
    municipality = add_partner(tmp_path, env, "Gemeente", "municipality", OIN_MUNICIPALITY)
    school = add_partner(tmp_path, env, "School", "school", OIN_SCHOOL, "--brin", "12AB")
    municipality_key, school_key = create_key(tmp_path, env, municipality), create_key(tmp_path, env, school)

    person = bsn()
    registered = cloud_event(
        OIN_MUNICIPALITY,
        "person.registered",
        "reg-1",
        {"person": {"bsn": person, "birthDate": "2010-04-30"}, "districtCode": "WK050501", "since": "2010-04-30"},
    )
    contact = {"person": {"bsn": person}, "date": "2026-01-15", "channel": "phone"}
    care = {"person": {"bsn": person}, "episodeId": "c-1", "date": "2025-09-01", "framework": "jeugdwet"}
    work = {"person": {"bsn": bsn()}, "episodeId": "w-1", "date": "2025-10-01", "hoursPerWeek": 16}
    batch = [
        cloud_event(OIN_MUNICIPALITY, "support.contact", "contact-1", contact),
        cloud_event(OIN_MUNICIPALITY, "care.started", "care-1", care),
        cloud_event(OIN_MUNICIPALITY, "work.employment-started", "work-1", work),
        cloud_event(OIN_MUNICIPALITY, "support.contact", "contact-1", contact),  # again, later in the same batch
    ]
    binary_headers = {
        "Content-Type": "application/json",
        "ce-specversion": "1.0",
        "ce-id": "absence-1",
        "ce-source": f"urn:nld:oin:{OIN_SCHOOL}:systeem:test",
        "ce-type": "nl.glansrijk.education.absence-reported",
        "ce-time": "2026-01-19T08:15:00Z",
    }
    absence = {
        "person": {"bsn": person},
        "brin": "12AB",
        "weekStart": "2026-01-12",
        "scheduledHours": 26,
        "unauthorizedHours": 6,
        "authorizedHours": 0,
    }
    invalid = cloud_event(
        OIN_MUNICIPALITY, "person.registered", "reg-bad", {"person": {"bsn": "123456789"}, "since": "2010-04-30"}
    )

    with serving(tmp_path, env) as base, httpx.Client(base_url=base, timeout=30) as client:
        as_municipality = {"Authorization": f"Bearer {municipality_key}"}

        one = client.post(
            "/intake/v1/events", content=json.dumps(registered), headers={**as_municipality, **STRUCTURED}
        )
        assert one.status_code == 202, one.text
        assert one.json() == {
            "accepted": 1,
            "duplicates": 0,
            "results": [{"index": 0, "id": "reg-1", "status": "accepted"}],
        }

        many = client.post("/intake/v1/events", content=json.dumps(batch), headers={**as_municipality, **BATCH})
        assert many.status_code == 202, many.text
        assert (many.json()["accepted"], many.json()["duplicates"]) == (3, 1)
        assert [(r["index"], r["id"], r["status"]) for r in many.json()["results"]] == [
            (0, "contact-1", "accepted"),
            (1, "care-1", "accepted"),
            (2, "work-1", "accepted"),
            (3, "contact-1", "duplicate"),
        ]

        headers = {**binary_headers, "Authorization": f"Bearer {school_key}"}
        binary = client.post("/intake/v1/events", content=json.dumps(absence), headers=headers)
        assert binary.status_code == 202, binary.text
        assert binary.json()["results"] == [{"index": 0, "id": "absence-1", "status": "accepted"}]

        duplicate = client.post(
            "/intake/v1/events", content=json.dumps(registered), headers={**as_municipality, **STRUCTURED}
        )
        assert duplicate.status_code == 202
        assert duplicate.json() == {
            "accepted": 0,
            "duplicates": 1,
            "results": [{"index": 0, "id": "reg-1", "status": "duplicate"}],
        }

        bad = client.post("/intake/v1/events", content=json.dumps(invalid), headers={**as_municipality, **STRUCTURED})
        assert bad.status_code == 400
        assert bad.headers["content-type"].startswith("application/problem+json")
        names = {p["name"] for p in bad.json()["invalidParams"]}
        assert {"/data/person/bsn", "/data/person/birthDate", "/data/districtCode"} <= names

        for service in ("intake", "signals", "reporting"):
            health = client.get(f"/{service}/v1/health")
            assert (health.status_code, health.json()) == (200, {"status": "ok"})
            assert health.headers["api-version"]

    # Every 202 was committed to the SQLite file; the 400 stored nothing.
    assert count(env["GLANSRIJK_DATABASE_URL"], Event) == 5
    assert count(env["GLANSRIJK_DATABASE_URL"], Youth) == 2


def postgres_youths() -> int:
    with get_engine().connect() as connection:
        return int(connection.execute(select(func.count()).select_from(Youth)).scalar_one())


def test_demo_runs_from_nothing_and_prints_the_summary(tmp_path: Path) -> None:

    database = tmp_path / "demo.db"
    database.write_bytes(b"")  # an old (empty) demo file is replaced
    # The test's own Postgres URL stays in the environment: the demo must use its SQLite file instead.
    env = {name: value for name, value in os.environ.items() if name != "GLANSRIJK_REDIS_URL"}
    assert env["GLANSRIJK_DATABASE_URL"].startswith("postgresql")
    started = time.monotonic()
    result = glansrijk(tmp_path, env, "demo", "--youths", "60", "--database", str(database), "--port", "0")
    elapsed = time.monotonic() - started
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout

    registered = re.search(r"^\s+person\.registered\s+(\d+)\s+\d+\s+0$", out, re.MULTILINE)
    assert registered and 50 <= int(registered.group(1)) <= 60, out  # a youth moving in may not be registered yet
    assert re.search(r"^\s+education\.absence-reported\s+\d+\s+\d+\s+2$", out, re.MULTILINE)
    assert re.search(r"^\s+Gemeente Dordrecht \(demo, ketenregisseur\)\s+\d+\s+\d+\s+0$", out, re.MULTILINE)
    total = re.search(r"Intake answers per event type.*?^\s+total\s+(\d+)\s+(\d+)\s+3$", out, re.MULTILINE | re.DOTALL)
    assert total, out
    assert "3 deliberately invalid events answered 400" in out
    for name in ("/0/data/person/bsn", "/0/data/weekStart", "/1/data/grade", "/2/subject", "/2/data/name"):
        assert re.search(rf"^\s+{re.escape(name)}\s+\S", out, re.MULTILINE), name
    repost = re.search(r"The first request posted again: 202 with 0 accepted and (\d+) duplicates of (\d+) events", out)
    assert repost and repost.group(1) == repost.group(2) == total.group(2)
    youths = re.search(r"^\s+youths\s+(\d+)$", out, re.MULTILINE)
    assert youths and 50 <= int(youths.group(1)) <= 60
    assert re.search(rf"^\s+registered\s+{registered.group(1)} ", out, re.MULTILINE)
    enrolled = re.search(r"^\s+enrolled\s+(\d+) ", out, re.MULTILINE)
    assert enrolled and 0 < int(enrolled.group(1)) < 60
    # the simulator's population, the rules, the webhooks and reporting, each step with its timing
    for label in ("simulating", "posting", "rules", "deliveries", "reporting"):
        assert re.search(rf"^  {label}\s+\S.*\(\d+\.\d s\)$", out, re.MULTILINE), label
    port = re.search(r"http://127\.0\.0\.1:(\d+)/intake/v1/docs", out)
    assert port and int(port.group(1)) > 0
    base = f"http://127.0.0.1:{port.group(1)}"
    for service in ("intake", "signals", "reporting"):
        assert f"{base}/{service}/v1/docs" in out and f"{base}/{service}/v1/openapi.json" in out
    # Signals raised in process and read back through the signals API (how many depends on the date).
    assert re.search(r"are routed to\): \d+$", out, re.MULTILINE), out
    assert re.search(r"^Webhooks received by the demo's caseworker apps \(signed, verified\): \d+$", out, re.MULTILINE)
    assert "did not verify" not in out
    assert re.search(r"^Groups on \d{4}-\d{2}-\d{2} ", out, re.MULTILINE), out
    assert re.search(r"^  participation-rate\s+\d{4}MM\d{2}\s+\S+", out, re.MULTILINE), out
    keys = re.findall(r"^  \S.*\s(glk_[A-Za-z0-9_-]+)$", out, re.MULTILINE)
    assert len(keys) == 7
    assert re.search(r"^Done in \d+\.\d s\.$", out, re.MULTILINE)
    assert elapsed < 120

    url = f"sqlite:///{database}"
    assert count(url, Youth) == int(youths.group(1))
    assert count(url, Event) == int(total.group(1))
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            hashes = set(connection.execute(select(ApiKey.key_hash)).scalars())
    finally:
        engine.dispose()
    assert hashes == {hashlib.sha256(k.encode()).hexdigest() for k in keys}
    assert postgres_youths() == 0


def test_demo_serve_keeps_the_api_up_until_interrupted(tmp_path: Path) -> None:
    port = free_port()
    args = ["demo", "--youths", "20", "--database", str(tmp_path / "d.db"), "--port", str(port), "--serve"]
    process = subprocess.Popen(
        [GLANSRIJK, *args], cwd=tmp_path, env=embedded_env(tmp_path / "unused.db"), stdout=subprocess.PIPE, text=True
    )
    lines: queue.Queue[str] = queue.Queue()
    assert process.stdout is not None
    reader = threading.Thread(target=lambda: [lines.put(line) for line in process.stdout or []], daemon=True)
    reader.start()
    try:
        seen: list[str] = []
        deadline = time.monotonic() + 90
        while not any(line.startswith("Serving on") for line in seen):
            assert time.monotonic() < deadline and process.poll() is None, "".join(seen)
            with suppress(queue.Empty):
                seen.append(lines.get(timeout=0.5))
        keys = [re.findall(r"(glk_[A-Za-z0-9_-]+)$", line) for line in seen if "ketenregisseur" in line]
        municipality_key = next(found[0] for found in keys if found)
        health = httpx.get(f"http://127.0.0.1:{port}/intake/v1/health", timeout=5)
        assert health.status_code == 200
        empty = httpx.post(
            f"http://127.0.0.1:{port}/intake/v1/events",
            content="[]",
            headers={**BATCH, "Authorization": f"Bearer {municipality_key}"},
            timeout=5,
        )
        assert (empty.status_code, empty.json()["accepted"]) == (202, 0)
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=30) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    reader.join(5)
    assert not (tmp_path / "unused.db").exists()


def test_serve_all_on_sqlite_raises_signals_in_process_and_scan_adds_nothing(tmp_path: Path) -> None:
    env = {**embedded_env(tmp_path / "s.db"), "GLANSRIJK_TODAY": "2026-02-06"}
    assert glansrijk(tmp_path, env, "migrate").returncode == 0
    municipality = add_partner(tmp_path, env, "Gemeente", "municipality", OIN_MUNICIPALITY)
    school = add_partner(tmp_path, env, "School", "school", OIN_SCHOOL, "--brin", "12AB")
    leerplicht = add_partner(tmp_path, env, "Leerplicht", "leerplicht", "00000001003333333000")
    keys = {
        partner: str(
            json_out(tmp_path, env, "keys", "create", "--partner", partner, "--scopes", "events:write,signals:read")[
                "key"
            ]
        )
        for partner in (municipality, school, leerplicht)
    }
    number = bsn()
    absences, registration = absence_case(number)
    with serving(tmp_path, env) as base:
        for key, body in ((keys[school], absences), (keys[municipality], [registration])):
            headers = {"Authorization": f"Bearer {key}", **BATCH}
            assert httpx.post(f"{base}/intake/v1/events", json=body, headers=headers).status_code == 202
        deadline = time.monotonic() + 30
        items: list[dict[str, Any]] = []
        while time.monotonic() < deadline and not items:
            listing = httpx.get(
                f"{base}/signals/v1/signals",
                headers={"Authorization": f"Bearer {keys[leerplicht]}", "X-Purpose": "Test"},
            )
            assert listing.status_code == 200, listing.text
            items = listing.json()["items"]
            time.sleep(0.2)
        assert [item["type"] for item in items] == ["absence-16h"]
        assert number not in listing.text
    scanned = json_out(tmp_path, env, "scan", "--date", "2026-02-06")
    assert scanned["raised"] == 0
