# SPDX-License-Identifier: EUPL-1.2
"""Engines and sessions, created lazily per process so that a forked Celery worker never reuses a parent's pool."""

from __future__ import annotations

import os
import select
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, create_engine, event, exc
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import Session, sessionmaker

from services.core.settings import get_settings

_engines: dict[tuple[int, str, bool], Engine] = {}
_sessionmakers: dict[Engine, sessionmaker[Session]] = {}
# The event loop's engine of this process (ADR 0036) with its session factory, by (pid, url).
_async_engines: dict[tuple[int, str], tuple[AsyncEngine, async_sessionmaker[AsyncSession]]] = {}
# A pooled connection idle for longer than this is pinged (a round trip) before it is handed out; one used
# moments ago only has its socket looked at (no round trip), see _configure_liveness.
PING_AFTER_IDLE_SECONDS = 5.0
_CHECKED_IN_AT = "glansrijk_checked_in_at"


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


def _configure_liveness(engine: Engine) -> None:
    """`pool_pre_ping` without its round trip on a busy pool: the check on checkout that it replaces.

    A connection the server closed (a restart, `pg_terminate_backend`, an idle timeout) has its socket
    readable: the server's FATAL message and end-of-file wait there. Then, or when the socket cannot be
    polled, or when the connection sat idle for PING_AFTER_IDLE_SECONDS, the dialect's own pre-ping runs, with
    pre-ping's outcome: a dead connection invalidates the pool (every connection older than now) and the
    checkout is retried on a new connection, so a restarted Postgres is recovered from by itself, without a
    failed request. Only a connection handed out within the last seconds whose socket is quiet skips the ping.
    """
    dialect = engine.dialect

    @event.listens_for(engine, "checkin")
    def _on_checkin(_dbapi_connection: Any, record: Any) -> None:
        record.info[_CHECKED_IN_AT] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _on_checkout(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        checked_in_at = record.info.get(_CHECKED_IN_AT)
        if checked_in_at is None:
            return  # connected just now: pre-ping skips a fresh connection too
        # The driver's own connection: on the event loop's engine the pool holds SQLAlchemy's adapter around it.
        driver = getattr(dbapi_connection, "driver_connection", dbapi_connection)
        if getattr(driver, "closed", False) or getattr(driver, "broken", False):
            raise exc.InvalidatePoolError()
        if getattr(driver, "autocommit", False):
            # Never handed on in autocommit mode, where each statement would commit on its own: the intake's
            # pipelines switch it on for themselves and back (ADR 0038). Only this connection is replaced.
            raise exc.DisconnectionError()
        if time.monotonic() - checked_in_at <= PING_AFTER_IDLE_SECONDS and _socket_quiet(driver):
            return
        if not dialect._do_ping_w_event(dbapi_connection):
            raise exc.InvalidatePoolError()


def _socket_quiet(dbapi_connection: Any) -> bool:
    """Nothing to read and no error on the connection's socket (an idle connection has nothing to read)."""
    try:
        poller = select.poll()
        poller.register(dbapi_connection.fileno(), select.POLLIN | select.POLLPRI | select.POLLERR | select.POLLHUP)
        return not poller.poll(0)
    except (AttributeError, OSError, ValueError, TypeError):
        return False  # cannot tell: ping


def _postgres_options() -> dict[str, Any]:
    return {
        # Room for every admitted request (services/core/dependencies.py) and the health check.
        "pool_size": max(10, get_settings().api_database_sessions + 2),
        "max_overflow": 20,
        # pre-ping's recovery without its round trip per request: see _configure_liveness.
        "pool_pre_ping": False,
        "pool_timeout": 5,
        "connect_args": {"connect_timeout": 5, "application_name": "glansrijk"},
        # Statement parameters can hold free text (handover reasons, notes): never in an error or a log line.
        "hide_parameters": True,
    }


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
            options = _postgres_options()
            if read_only:
                # Reporting reads through a session the database itself keeps read-only.
                options["execution_options"] = {"postgresql_readonly": True}
            engine = create_engine(url, **options)
            _configure_liveness(engine)
        _engines[key] = engine
    return engine


def _async_engine_and_sessions() -> tuple[AsyncEngine, async_sessionmaker[AsyncSession]]:
    url = get_settings().database_url
    key = (os.getpid(), url)
    found = _async_engines.get(key)
    if found is None:
        engine = create_async_engine(url, **_postgres_options())
        _configure_liveness(engine.sync_engine)
        found = _async_engines[key] = (engine, async_sessionmaker(engine, expire_on_commit=False, autoflush=False))
    return found


def get_async_engine() -> AsyncEngine:
    """The event loop's engine of this process for the configured database, Postgres only (psycopg's
    asynchronous connection; ADR 0036)."""
    return _async_engine_and_sessions()[0]


def async_session_factory() -> async_sessionmaker[AsyncSession]:
    return _async_engine_and_sessions()[1]


def dispose_engines() -> None:
    """Drop every pool of this process (after a fork, or when tests switch databases)."""
    for key, engine in list(_engines.items()):
        if key[0] == os.getpid():
            engine.dispose()
        else:
            engine.dispose(close=False)
        del _engines[key]
        _sessionmakers.pop(engine, None)
    for async_engine, _ in _async_engines.values():
        # SQLAlchemy closes an asynchronous connection only from a greenlet of a running event loop, and this
        # runs outside one (after a fork, or when tests switch databases): the pool is dropped, and its sockets
        # close when the connections are collected. A server closes them on its loop at shutdown
        # (dispose_async_engine).
        async_engine.sync_engine.dispose(close=False)
    _async_engines.clear()


def session_factory(read_only: bool = False) -> sessionmaker[Session]:
    """The session factory of this process's engine (one per engine: building a sessionmaker per request is
    not free)."""
    engine = get_engine(read_only)
    factory = _sessionmakers.get(engine)
    if factory is None:
        factory = _sessionmakers[engine] = sessionmaker(bind=engine, expire_on_commit=False, autoflush=False)
    return factory


async def dispose_async_engine() -> None:
    """Close the connections of this process's event loop engine, if it has one (a server's shutdown)."""
    found = _async_engines.pop((os.getpid(), get_settings().database_url), None)
    if found is not None:
        await found[0].dispose()


@contextmanager
def transaction(read_only: bool = False) -> Iterator[Session]:
    """A unit of work for tasks, the CLI and the intake handler: commit on success, roll back on error."""
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
