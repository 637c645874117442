# SPDX-License-Identifier: EUPL-1.2
"""Request dependencies shared by the three services: the unit of work and the caller."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from services.core.auth import Caller, authenticate, require_scope
from services.core.db import session_factory
from services.core.scopes import Scope

# Both session dependencies are coroutines: FastAPI runs a plain `def` dependency in its threadpool, on entry
# and again on exit, a hand-over each. Creating a session does no I/O (it connects at its first statement), so
# only the database work itself goes to the threadpool, and only when there is any: a handler that committed
# itself (intake does, on its own thread) leaves nothing to do here.


async def get_db_session() -> AsyncIterator[Session]:
    """The request's transaction: committed when the handler returns, before the response is sent."""
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


async def get_read_session() -> AsyncIterator[Session]:
    """A read-only session: nothing it does is ever committed."""
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
