# SPDX-License-Identifier: EUPL-1.2
"""A blocking face of psycopg's asynchronous connection, for code run by `AsyncSession.run_sync` (ADR 0036).

SQLAlchemy runs such code in a greenlet on the event loop: each of its statements awaits the driver there,
through `await_only`. The intake's pipelines talk to psycopg itself (services/intake/repository_pipeline.py),
written against its blocking connection; this face lets the same code drive the asynchronous one, each call
awaited the way SQLAlchemy awaits its own. Only what the pipelines use is here.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any, Protocol

import psycopg
from sqlalchemy.util import await_only


class PipelineCursor(Protocol):
    """What the pipelines use of a cursor: psycopg's own, or `BlockingCursor`."""

    def execute(self, query: Any, params: Any = None) -> Any: ...
    def fetchone(self) -> Any: ...
    def fetchall(self) -> list[Any]: ...


class PipelineConnection(Protocol):
    """What the pipelines use of a connection: psycopg's blocking one, or `BlockingConnection`."""

    def cursor(self) -> Any: ...
    def execute(self, query: Any, params: Any = None) -> Any: ...
    def pipeline(self) -> AbstractContextManager[Any]: ...


def pipeline_connection(driver: Any) -> PipelineConnection:
    """The driver connection under a session as the pipelines use it."""
    if isinstance(driver, psycopg.AsyncConnection):
        return BlockingConnection(driver)
    return driver


class BlockingCursor:
    def __init__(self, cursor: psycopg.AsyncCursor[Any]) -> None:
        self._cursor = cursor

    def execute(self, query: Any, params: Any = None) -> BlockingCursor:
        await_only(self._cursor.execute(query, params))
        return self

    def fetchone(self) -> Any:
        return await_only(self._cursor.fetchone())

    def fetchall(self) -> list[Any]:
        return await_only(self._cursor.fetchall())


class BlockingConnection:
    def __init__(self, connection: psycopg.AsyncConnection[Any]) -> None:
        self._connection = connection

    def cursor(self) -> BlockingCursor:
        return BlockingCursor(self._connection.cursor())

    def execute(self, query: Any, params: Any = None) -> BlockingCursor:
        return self.cursor().execute(query, params)

    @contextmanager
    def pipeline(self) -> Iterator[None]:
        """psycopg's pipeline: statements sent without waiting, their results synced when the block ends."""
        manager = self._connection.pipeline()
        await_only(manager.__aenter__())
        try:
            yield
        except BaseException as exc:
            if not await_only(manager.__aexit__(type(exc), exc, exc.__traceback__)):
                raise
        else:
            await_only(manager.__aexit__(None, None, None))
