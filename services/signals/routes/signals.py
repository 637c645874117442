# SPDX-License-Identifier: EUPL-1.2
"""`/signals` and `/signals/{id}` (interface.md, "Signals")."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse

from services.core.dependencies import DbSession
from services.signals import service
from services.signals.dependencies import PAGE_SIZE, PageSize, PageStart, SignalReader, SignalWriter, answer, next_url
from services.signals.schemas import SignalPageRead, SignalRead, SignalStatus, SignalType, SignalUpdate

router = APIRouter(tags=["signals"])


@router.get(
    "/signals",
    response_model=SignalPageRead,
    summary="The signals the caller may see, newest first",
    description=(
        "Signals routed to the caller's partner, about the youths it is accountable for, and (with "
        "`chain:manage`) escalated active signals. Pages of 50; follow `next` until it is null."
    ),
)
def list_signals(
    request: Request,
    session: DbSession,
    viewer: SignalReader,
    after: PageStart,
    status: Annotated[SignalStatus | None, Query()] = None,
    type_: Annotated[SignalType | None, Query(alias="type")] = None,
    escalated: Annotated[bool | None, Query()] = None,
    limit: PageSize = PAGE_SIZE,
) -> JSONResponse:
    items, following = service.list_signals(
        session, viewer, status=status, type_=type_, escalated=escalated, after=after, limit=limit
    )
    return answer(SignalPageRead(items=items, next=next_url(request, following)))


@router.get("/signals/{signal_id}", response_model=SignalRead, summary="One signal")
def get_signal(signal_id: str, session: DbSession, viewer: SignalReader) -> JSONResponse:
    return answer(service.get_signal(session, viewer, signal_id))


@router.patch(
    "/signals/{signal_id}",
    response_model=SignalRead,
    summary="Change the status of a signal routed to the caller",
    description=(
        "open → acknowledged | dismissed; acknowledged → resolved | dismissed. `resolved` and `dismissed` need "
        "`reason: {code, note}`. The accountable partner reads the signal but may not change it (403)."
    ),
    responses={409: {"description": "Not an allowed status change (also: the current status)."}},
)
def change_signal(signal_id: str, change: SignalUpdate, session: DbSession, viewer: SignalWriter) -> JSONResponse:
    return answer(service.change_signal(session, viewer, signal_id, change))
