# SPDX-License-Identifier: EUPL-1.2
"""A blocking face of psycopg's asynchronous connection, for code run by `AsyncSession.run_sync` (ADR 0036).

SQLAlchemy runs such code in a greenlet on the event loop, and each of its statements awaits the driver there.
The intake's pipelines talk to psycopg itself (services/intake/repository_pipeline.py), written against its
blocking connection; this face lets the same code drive the asynchronous one. Each call is awaited through
`AdaptedConnection.run_async`, SQLAlchemy's public way to await the driver from synchronous code in its
greenlet. Only what the pipelines use is here, and both faces are typed by the protocols below.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any, Protocol, TypeVar

import psycopg
from sqlalchemy.engine.interfaces import AdaptedConnection

_T = TypeVar("_T")


class PipelineCursor(Protocol):
    """What the pipelines use of a cursor: psycopg's own, or `BlockingCursor`."""

    def execute(self, query: Any, params: Any = None) -> Any: ...
    def fetchone(self) -> Any: ...
    def fetchall(self) -> list[Any]: ...


class PipelineConnection(Protocol):
    """What the pipelines use of a connection: psycopg's blocking one, or `BlockingConnection`."""

    @property
    def info(self) -> psycopg.ConnectionInfo: ...
    def cursor(self) -> PipelineCursor: ...
    def execute(self, query: Any, params: Any = None) -> Any: ...
    def pipeline(self) -> AbstractContextManager[Any]: ...
    def set_autocommit(self, value: bool) -> None: ...


class BlockingCursor:
    def __init__(self, cursor: psycopg.AsyncCursor[Any], run: Callable[[Awaitable[Any]], Any]) -> None:
        self._cursor = cursor
        self._run = run

    def execute(self, query: Any, params: Any = None) -> BlockingCursor:
        self._run(self._cursor.execute(query, params))
        return self

    def fetchone(self) -> Any:
        return self._run(self._cursor.fetchone())

    def fetchall(self) -> list[Any]:
        rows: list[Any] = self._run(self._cursor.fetchall())
        return rows


class BlockingConnection:
    def __init__(self, adapted: AdaptedConnection, connection: psycopg.AsyncConnection[Any]) -> None:
        self._adapted = adapted
        self._connection = connection

    def _run(self, awaitable: Awaitable[_T]) -> _T:
        return self._adapted.run_async(lambda _connection: awaitable)

    @property
    def info(self) -> psycopg.ConnectionInfo:
        return self._connection.info

    def cursor(self) -> BlockingCursor:
        return BlockingCursor(self._connection.cursor(), self._run)

    def set_autocommit(self, value: bool) -> None:
        self._run(self._connection.set_autocommit(value))

    def execute(self, query: Any, params: Any = None) -> BlockingCursor:
        return self.cursor().execute(query, params)

    @contextmanager
    def pipeline(self) -> Iterator[None]:
        """psycopg's pipeline: statements sent without waiting, their results synced when the block ends (an
        error found then is raised here, as by the blocking connection's pipeline)."""
        manager = self._connection.pipeline()
        self._run(manager.__aenter__())
        try:
            yield
        except BaseException as exc:
            if not self._run(manager.__aexit__(type(exc), exc, exc.__traceback__)):
                raise
        else:
            self._run(manager.__aexit__(None, None, None))


def pipeline_connection(dbapi_connection: object) -> PipelineConnection:
    """The connection under a session as the pipelines use it: psycopg's blocking connection as it is, or the
    event loop engine's adapter (whose driver is psycopg's asynchronous connection) behind the blocking face."""
    if isinstance(dbapi_connection, psycopg.Connection):
        return dbapi_connection
    if isinstance(dbapi_connection, AdaptedConnection):
        driver = dbapi_connection.driver_connection
        if isinstance(driver, psycopg.AsyncConnection):
            return BlockingConnection(dbapi_connection, driver)
    raise TypeError("the intake's pipelines run on psycopg only")
