# SPDX-License-Identifier: EUPL-1.2
"""Test setup: a fresh, migrated Postgres database per test run (and per xdist worker).

Migrations run here, so they are tested too. Tests over HTTP use committed data; every table is emptied
after each test that touched the database.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from services.cli import admin
from services.core.auth import partner_cache
from services.core.db import dispose_engines, get_engine
from services.core.dispatch import wait_for_tasks
from services.core.models import Base
from services.core.settings import reset_settings
from tests.processes import RedisServer, stop_group
from tests.signals.receiver import Receiver, running_receiver

ADMIN_URL = os.environ.get("GLANSRIJK_TEST_ADMIN_DSN", "postgresql://postgres@127.0.0.1:5432/postgres")


def _database_name(run: str, worker: str) -> str:
    # Unique per run and worker, so that two test runs on one machine (two checkouts, CI beside a developer)
    # never share, or drop, each other's database.
    return f"glansrijk_test_{run[:10]}_{worker}".replace("-", "_").lower()


@pytest.fixture(scope="session")
def database_url(testrun_uid: str, worker_id: str) -> Iterator[str]:
    name = _database_name(testrun_uid, worker_id)
    with psycopg.connect(ADMIN_URL, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    yield f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    dispose_engines()
    with psycopg.connect(ADMIN_URL, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session", autouse=True)
def migrated(database_url: str) -> Iterator[None]:
    os.environ["GLANSRIJK_DATABASE_URL"] = database_url
    os.environ.pop("GLANSRIJK_REDIS_URL", None)
    reset_settings()
    dispose_engines()
    admin.migrate()
    yield


def truncate_all() -> None:
    tables = ", ".join(f'"{t.name}"' for t in reversed(Base.metadata.sorted_tables))
    with get_engine().begin() as connection:
        connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    partner_cache.clear()


@pytest.fixture(autouse=True)
def clean_database() -> Iterator[None]:
    yield
    # An in-process evaluation still running would hold locks on the tables being emptied.
    wait_for_tasks()
    truncate_all()


@pytest.fixture
def settings_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[pytest.MonkeyPatch]:
    """Change GLANSRIJK_* settings for one test: `settings_env.setenv(...)`, then the cache is reset."""
    yield monkeypatch
    monkeypatch.undo()
    reset_settings()


@pytest.fixture
def client() -> Iterator[TestClient]:
    from services.app import build_app

    with TestClient(build_app("all"), raise_server_exceptions=False) as test_client:
        yield test_client


# -- real processes ---------------------------------------------------------------------------------------------
@pytest.fixture
def redis() -> Iterator[RedisServer]:
    """A private redis-server on a free port, which the test may stop and start."""
    server = RedisServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def env(redis: RedisServer) -> dict[str, str]:
    """The environment of the processes a test starts: the test's database, its Redis, the clock on a school day
    on which the truant youths of tests/faults/support.py raise their signals, and a fast outbox sweep."""
    return {
        "GLANSRIJK_DATABASE_URL": os.environ["GLANSRIJK_DATABASE_URL"],
        "GLANSRIJK_REDIS_URL": redis.url,
        "GLANSRIJK_TODAY": "2026-02-06",
        "GLANSRIJK_OUTBOX_SWEEP_SECONDS": "1",
    }


@pytest.fixture
def processes() -> Iterator[list[Any]]:
    """Processes the test started (`tests.processes.start_process`): stopped afterwards, whatever happened."""
    started: list[Any] = []
    yield started
    for process in started:
        stop_group(process)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """A webhook receiver on 127.0.0.1 (tests/signals/receiver.py)."""
    with running_receiver() as received:
        yield received
