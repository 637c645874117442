# SPDX-License-Identifier: EUPL-1.2
"""Intake request dependencies: the caller with `events:write`, and the body read within its limits."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from services.core.auth import Caller, require_scope
from services.core.dependencies import AnyCaller
from services.core.problems import Problem
from services.core.scopes import Scope
from services.core.settings import get_settings
from services.intake.envelope import check_content_type


async def caller_with_events_write(caller: AnyCaller) -> Caller:
    """`caller_with(Scope.EVENTS_WRITE)` as a coroutine: FastAPI runs every plain `def` dependency in its
    threadpool, a hand-over per request that a pure check does not need."""
    require_scope(caller, Scope.EVENTS_WRITE)
    return caller


EventWriter = Annotated[Caller, Depends(caller_with_events_write)]


async def read_limited_body(request: Request, _caller: EventWriter) -> tuple[str, bytes]:
    """The content mode and the raw body: 415 and 413 are answered before the body is parsed."""
    kind = check_content_type(request.headers.get("content-type"))
    limit = get_settings().max_body_bytes
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise Problem(413, f"The body may be at most {limit} bytes.")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise Problem(413, f"The body may be at most {limit} bytes.")
        chunks.append(chunk)
    return kind, b"".join(chunks)


LimitedBody = Annotated[tuple[str, bytes], Depends(read_limited_body)]
