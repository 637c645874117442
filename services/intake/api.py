# SPDX-License-Identifier: EUPL-1.2
"""`POST /intake/v1/events`: CloudEvents in structured, batched and binary mode."""

from __future__ import annotations

from typing import Any

import orjson
from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from services.core.auth import Caller, authenticate, caller_of_key, credentials, require_scope
from services.core.db import async_session_factory, transaction
from services.core.dependencies import database_slot
from services.core.http import ServiceApi, health_router
from services.core.problems import Problem
from services.core.scopes import Scope
from services.core.settings import get_settings
from services.intake import lookahead, service, streamed
from services.intake.dependencies import PostedBody, checked_body, read_posted_body
from services.intake.envelope import BATCH, BINARY, STRUCTURED, RawEvents, authority_problem, read_events
from services.intake.schemas import IntakeResultRead

# The largest body handled on the event loop (ADR 0036): a single event is about 0.5 KiB, and validating all of
# 16 KiB of events at once (about 40) takes about 3 ms (0.07 ms per event, bench/results/intake-*.md).
EVENT_LOOP_MAX_BYTES = 16 * 1024

router = APIRouter(prefix="/intake/v1", redirect_slashes=False)
router.include_router(health_router())

_EVENT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["specversion", "id", "source", "type", "time", "data"],
    "properties": {
        "specversion": {"type": "string", "enum": ["1.0"]},
        "id": {"type": "string", "minLength": 1, "maxLength": 200},
        "source": {"type": "string", "example": "urn:nld:oin:00000001001111111000:systeem:leerlingadministratie"},
        "type": {"type": "string", "example": "nl.glansrijk.education.absence-reported"},
        "time": {"type": "string", "format": "date-time"},
        "datacontenttype": {
            "type": "string",
            # application/json, case-insensitive, with at most a UTF-8 charset (JSON Schema patterns take no flags).
            "pattern": "^[Aa][Pp][Pp][Ll][Ii][Cc][Aa][Tt][Ii][Oo][Nn]/[Jj][Ss][Oo][Nn]"
            '( *; *charset="?[Uu][Tt][Ff]-?8"?)?$',
            "example": "application/json",
        },
        "data": {"type": "object"},
    },
}


@router.post(
    "/events",
    status_code=202,
    response_model=IntakeResultRead,
    tags=["intake"],
    summary="Post one event, a batch of events, or one event in binary mode",
    description=(
        "CloudEvents 1.0 (NL GOV profile). All-or-nothing: a 202 means every event of the request is "
        "committed. `(source, id)` pairs seen before count as duplicates and store nothing."
    ),
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                STRUCTURED: {"schema": _EVENT_SCHEMA},
                BATCH: {"schema": {"type": "array", "maxItems": 1000, "items": _EVENT_SCHEMA}},
                BINARY: {"schema": {"type": "object"}},
            },
        }
    },
    responses={
        403: {"description": "The key lacks `events:write`, or events name another partner's source or type."},
        413: {"description": "Body over 5 MiB, an event over 64 KiB, or over 1000 events."},
        415: {"description": "Not a CloudEvents content type."},
    },
)
async def post_events(request: Request) -> Response:
    # The hot path of the service, written without request dependencies: their machinery (a generator for the
    # session, an exit stack) was the largest part of a single event's own CPU time after the database's.
    # The body is read first, before the request takes its database slot (ADR 0032); then the caller's key,
    # the checks, the events and the commit run in one go: on the event loop for a small body (ADR 0036),
    # else in one threadpool hand-over.
    posted = await read_posted_body(request)
    async with database_slot(request):
        if _on_event_loop(request, posted):
            return await _accept_on_event_loop(request, posted)
        return await run_in_threadpool(_accept_posted, request, posted)


def _on_event_loop(request: Request, posted: PostedBody) -> bool:
    """A small request on Postgres presenting one of our keys is handled on the event loop (ADR 0036).

    Its Python holds the loop between round trips, every other request waiting meanwhile: EVENT_LOOP_MAX_BYTES
    keeps that to a few milliseconds even when all its events are validated at once (a 400, a retraction, a
    lost race). A larger body, and an OAuth2 token (its verification may fetch the key set with a blocking
    HTTP call), take a thread. SQLite has no asynchronous driver here.
    """
    settings = get_settings()
    content = posted.content
    if settings.is_sqlite or content is None or len(content) > EVENT_LOOP_MAX_BYTES:
        return False
    try:
        return not credentials(request).is_token(settings)
    except Problem:
        return False  # refused in its turn, in the threadpool as before


async def _accept_on_event_loop(request: Request, posted: PostedBody) -> Response:
    """As `_accept_posted`, on the event loop: the same code, run by SQLAlchemy in a greenlet that awaits each
    round trip to Postgres instead of blocking a thread on it. Leaving the block without the commit (a problem
    raised, a cancellation) rolls back: closing the session does, and runs to its end even when cancelled. (A
    small request's writes commit on their own, ADR 0038 and 0039: what fails after that leaves them stored.)"""
    async with async_session_factory()() as session:
        result = await session.run_sync(_accept, request, posted)
        await session.commit()
    return Response(result_body(result), status_code=202, media_type="application/json")


def _accept_posted(request: Request, posted: PostedBody) -> Response:
    """Committed once the answer is ready, before the 202 is sent; rolled back on any failure before the commit
    (a small request's writes commit on their own, ADR 0038 and 0039)."""
    with transaction() as session:
        result = _accept(session, request, posted)
    return Response(result_body(result), status_code=202, media_type="application/json")


def _accept(session: Session, request: Request, posted: PostedBody) -> service.AcceptResult:
    # A small valid request looks up its key and its events in one round trip (services/intake/lookahead.py);
    # any other takes the checks one by one. Either way a request is refused in the same order.
    ahead = lookahead.look_ahead(request, posted, session)
    if ahead is None:
        return _accept_in_order(request, posted, session)
    return _accept_looked_ahead(request, posted, session, ahead)


def _accept_in_order(request: Request, posted: PostedBody, session: Session) -> service.AcceptResult:
    caller = authenticate(request, session)
    kind, raw_body = _admitted(request, posted, caller)
    settings = get_settings()
    raw = read_events(kind, raw_body, request.headers, settings.max_batch_events, settings.max_event_bytes)
    _check_authority(raw, caller)
    return streamed.accept_posted(session, caller.partner_id, raw)


def _accept_looked_ahead(
    request: Request, posted: PostedBody, session: Session, ahead: lookahead.LookedAhead
) -> service.AcceptResult:
    caller = caller_of_key(session, ahead.presented, ahead.key)
    _admitted(request, posted, caller)
    _check_authority(ahead.raw, caller)
    return ahead.accept(session, caller.partner_id)


def _admitted(request: Request, posted: PostedBody, caller: Caller) -> tuple[str, bytes]:
    """The scope (403), then the content mode and body (415, 413)."""
    require_scope(caller, Scope.EVENTS_WRITE)
    return checked_body(request, posted)


def _check_authority(raw: RawEvents, caller: Caller) -> None:
    """403 for events naming another partner's source or a type the caller may not post."""
    forbidden = authority_problem(raw.events, caller.partner)
    if forbidden is not None:
        raise forbidden


def result_body(result: service.AcceptResult) -> bytes:
    """The IntakeResultRead document, written by orjson: the bytes JSONResponse would render from the model
    (compact, UTF-8), without a model object per event first."""
    return orjson.dumps(
        {
            "accepted": result.accepted,
            "duplicates": result.duplicates,
            "results": [{"index": r.index, "id": r.id, "status": r.status} for r in result.results],
        }
    )


SERVICE = ServiceApi(
    name="intake",
    prefix="/intake/v1",
    title="Glansrijk intake",
    description="Partner systems post CloudEvents about youths; identifiers are pseudonymised at the door.",
    router=router,
)
