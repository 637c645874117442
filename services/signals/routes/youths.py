# SPDX-License-Identifier: EUPL-1.2
"""`/youths/search`, `/youths/{id}` and `/youths/{id}/identity` (interface.md, "Signals")."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from services.core.dependencies import DbSession
from services.signals import service
from services.signals.dependencies import SignalReader, answer
from services.signals.schemas import IdentityRead, YouthIdRead, YouthRead, YouthSearchCreate

router = APIRouter(tags=["youths"])


@router.post(
    "/youths/search",
    response_model=YouthIdRead,
    summary="Find the id of a youth the caller is involved with, by BSN or onderwijsnummer",
    description=(
        "Body: exactly one of `bsn` and `onderwijsnummer`. 404 unless a signal about the youth was routed to "
        "the caller or the caller is its accountable partner. Audited."
    ),
)
def search_youth(body: YouthSearchCreate, session: DbSession, viewer: SignalReader) -> JSONResponse:
    return answer(service.search_youth(session, viewer, body))


@router.get(
    "/youths/{youth_id}",
    response_model=YouthRead,
    summary="A youth's timeline, active signals and accountability history",
    description="For the accountable partner, and for `chain:manage` while the youth is listed under escalations.",
)
def get_youth(youth_id: str, session: DbSession, viewer: SignalReader) -> JSONResponse:
    return answer(service.get_youth(session, viewer, youth_id))


@router.get(
    "/youths/{youth_id}/identity",
    response_model=IdentityRead,
    summary="The youth's BSN (or onderwijsnummer), for the partners involved",
    description="The only answer that carries an identifier. Audited.",
)
def read_identity(youth_id: str, session: DbSession, viewer: SignalReader) -> JSONResponse:
    identity = service.read_identity(session, viewer, youth_id)
    return JSONResponse(identity.model_dump(mode="json", exclude_none=True))
