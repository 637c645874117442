# SPDX-License-Identifier: EUPL-1.2
"""The ketenregisseur (`chain:manage`): escalations and the accountability override (interface.md, "Signals")."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from services.core.dependencies import DbSession
from services.signals import accountability
from services.signals.dependencies import ChainManager, answer
from services.signals.schemas import AccountabilityRead, AccountabilityUpdate, EscalationsRead

router = APIRouter(tags=["chain"])


@router.get(
    "/escalations",
    response_model=EscalationsRead,
    summary="Escalated signals, stalled handovers and youths without an accountable partner",
    description=(
        "Handovers count as stalled after 5 working days unanswered; youths are listed when they have an active "
        "medium or high signal and no accountable partner."
    ),
)
def escalations(session: DbSession, viewer: ChainManager) -> JSONResponse:
    return answer(accountability.escalations(session, viewer))


@router.put(
    "/youths/{youth_id}/accountability",
    response_model=AccountabilityRead,
    summary="Assign the youth's accountable partner (override)",
    description="Closes the current accountability and withdraws pending handovers; the same partner changes nothing.",
)
def override_accountability(
    youth_id: str, body: AccountabilityUpdate, session: DbSession, viewer: ChainManager
) -> JSONResponse:
    return answer(accountability.override_accountability(session, viewer, youth_id, body))
