# SPDX-License-Identifier: EUPL-1.2
"""Request dependencies shared by the three services: the unit of work and the caller."""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from services.core.auth import Caller, authenticate, require_scope
from services.core.db import session_factory
from services.core.problems import Problem
from services.core.scopes import Scope
from services.core.settings import get_settings

# Both session dependencies are coroutines: FastAPI runs a plain `def` dependency in its threadpool, on entry
# and again on exit, a hand-over each. Creating a session does no I/O (it connects at its first statement), so
# only the database work itself goes to the threadpool, and only when there is any: a handler that committed
# itself (intake does, on its own thread) leaves nothing to do here.


# Admission control (ADR 0032). A request's transaction spans several threadpool hand-overs (the caller's key
# look-up, the handler, the commit) and holds its pooled connection in between. Left unbounded, an overload
# filled the threadpool with requests waiting for a connection while the connections' own requests waited for
# a thread: throughput fell by half at 64 concurrent requests and latencies reached seconds. So a request takes
# one of `api_database_sessions` slots before its session and keeps it to the end; the others wait here, on the
# event loop, holding neither a thread nor a connection, and are shed with a 503 after `database_wait_seconds`.
_slots: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore] = weakref.WeakKeyDictionary()


def database_slots() -> asyncio.Semaphore:
    """This event loop's slots (a semaphore belongs to one loop; a test client may run several)."""
    loop = asyncio.get_running_loop()
    slots = _slots.get(loop)
    if slots is None:
        slots = _slots[loop] = asyncio.Semaphore(get_settings().api_database_sessions)
    return slots


@asynccontextmanager
async def database_slot(request: Request) -> AsyncIterator[None]:
    """A slot for this request, unless it holds one already (a handler with a read and a write session: the
    dependency entered first leaves last, so its slot covers both)."""
    if getattr(request.state, "database_slot", False):
        yield
        return
    slots = database_slots()
    wait = get_settings().database_wait_seconds
    try:
        if slots.locked():
            await asyncio.wait_for(slots.acquire(), timeout=wait)
        else:  # a free slot: taken at once, without the task and timer of wait_for
            await slots.acquire()
    except TimeoutError:
        raise Problem(
            503, "The service is busy; try again shortly.", headers={"Retry-After": str(max(1, round(wait)))}
        ) from None
    request.state.database_slot = True
    try:
        yield
    finally:
        request.state.database_slot = False
        slots.release()


async def get_db_session(request: Request) -> AsyncIterator[Session]:
    """The request's transaction: committed when the handler returns, before the response is sent."""
    async with database_slot(request):
        session = session_factory()()
        try:
            yield session
            if session.in_transaction() or session.info:  # work to commit, or tasks to send after the commit
                await run_in_threadpool(session.commit)
        except BaseException:
            if session.in_transaction():
                await run_in_threadpool(session.rollback)
            raise
        finally:
            session.close()


async def get_read_session(request: Request) -> AsyncIterator[Session]:
    """A read-only session: nothing it does is ever committed."""
    async with database_slot(request):
        session = session_factory(read_only=True)()
        try:
            yield session
        finally:
            if session.in_transaction():
                await run_in_threadpool(session.rollback)
            session.close()


DbSession = Annotated[Session, Depends(get_db_session, scope="function")]
ReadSession = Annotated[Session, Depends(get_read_session, scope="function")]


def get_caller(request: Request, session: DbSession) -> Caller:
    return authenticate(request, session)


AnyCaller = Annotated[Caller, Depends(get_caller)]


def caller_with(scope: Scope) -> Callable[[Caller], Caller]:
    """A dependency that answers 403 unless the key holds `scope` (checked before any existence check)."""

    def dependency(caller: AnyCaller) -> Caller:
        require_scope(caller, scope)
        return caller

    dependency.__name__ = f"caller_with_{scope.name.lower()}"
    return dependency
