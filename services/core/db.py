# SPDX-License-Identifier: EUPL-1.2
"""Engines and sessions, created lazily per process so that a forked Celery worker never reuses a parent's pool."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

from services.core.settings import get_settings

_engines: dict[tuple[int, str, bool], Engine] = {}


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # WAL lets the API read while the in-process worker writes; the busy timeout queues writers
        # instead of failing; foreign keys are off by default in SQLite.
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()


def get_engine(read_only: bool = False, url: str | None = None) -> Engine:
    """The engine of this process for the configured database (or `url`)."""
    url = url or get_settings().database_url
    key = (os.getpid(), url, read_only)
    engine = _engines.get(key)
    if engine is None:
        if url.startswith("sqlite"):
            engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
            _configure_sqlite(engine)
        else:
            options: dict[str, Any] = {
                "pool_size": 10,
                "max_overflow": 20,
                "pool_pre_ping": True,
                "pool_timeout": 5,
                "connect_args": {"connect_timeout": 5, "application_name": "glansrijk"},
            }
            if read_only:
                # Reporting reads through a session the database itself keeps read-only.
                options["execution_options"] = {"postgresql_readonly": True}
            engine = create_engine(url, **options)
        _engines[key] = engine
    return engine


def dispose_engines() -> None:
    """Drop every pool of this process (after a fork, or when tests switch databases)."""
    for key, engine in list(_engines.items()):
        if key[0] == os.getpid():
            engine.dispose()
        else:
            engine.dispose(close=False)
        del _engines[key]


def session_factory(read_only: bool = False) -> sessionmaker[Session]:
    return sessionmaker(bind=get_engine(read_only), expire_on_commit=False, autoflush=False)


@contextmanager
def transaction(read_only: bool = False) -> Iterator[Session]:
    """A unit of work for tasks and the CLI: commit on success, roll back on error."""
    session = session_factory(read_only)()
    try:
        yield session
        if read_only:
            session.rollback()
        else:
            session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
