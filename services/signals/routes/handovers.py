# SPDX-License-Identifier: EUPL-1.2
"""Handovers of a youth's accountability (interface.md, "Signals"; domain.md, "Accountability")."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse

from services.core.dependencies import DbSession
from services.signals import accountability
from services.signals.dependencies import (
    PAGE_SIZE,
    PageSize,
    PageStart,
    SignalReader,
    SignalWriter,
    answer,
    next_url,
)
from services.signals.schemas import (
    HandoverCreate,
    HandoverDirection,
    HandoverPageRead,
    HandoverRead,
    HandoverStatus,
    HandoverUpdate,
)

router = APIRouter(tags=["handovers"])


@router.post(
    "/youths/{youth_id}/handovers",
    status_code=201,
    response_model=HandoverRead,
    summary="Ask another partner to take over a youth",
    description="By the accountable partner only. Until the handover is accepted the youth stays with the sender.",
    responses={409: {"description": "The youth already has a pending handover."}},
)
def request_handover(
    youth_id: str, body: HandoverCreate, request: Request, session: DbSession, viewer: SignalWriter
) -> JSONResponse:
    handover = accountability.request_handover(session, viewer, youth_id, body)
    location = str(request.url_for("get_handover", handover_id=str(handover.id)))
    return answer(handover, status_code=201, headers={"Location": location})


@router.get("/handovers", response_model=HandoverPageRead, summary="The caller's handovers, newest first")
def list_handovers(
    request: Request,
    session: DbSession,
    viewer: SignalReader,
    after: PageStart,
    direction: Annotated[HandoverDirection | None, Query(description="Both directions when omitted.")] = None,
    status: Annotated[HandoverStatus | None, Query()] = None,
    limit: PageSize = PAGE_SIZE,
) -> JSONResponse:
    items, following = accountability.list_handovers(
        session, viewer, direction=direction, status=status, after=after, limit=limit
    )
    return answer(HandoverPageRead(items=items, next=next_url(request, following)))


@router.get("/handovers/{handover_id}", response_model=HandoverRead, summary="One handover", name="get_handover")
def get_handover(handover_id: str, session: DbSession, viewer: SignalReader) -> JSONResponse:
    return answer(accountability.get_handover(session, viewer, handover_id))


@router.patch(
    "/handovers/{handover_id}",
    response_model=HandoverRead,
    summary="Accept or decline a handover",
    description="By the receiving partner; accepting makes it the youth's accountable partner.",
    responses={409: {"description": "Not pending, or the sender is no longer accountable."}},
)
def answer_handover(handover_id: str, body: HandoverUpdate, session: DbSession, viewer: SignalWriter) -> JSONResponse:
    return answer(accountability.answer_handover(session, viewer, handover_id, body))
