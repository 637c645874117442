# SPDX-License-Identifier: EUPL-1.2
"""The youth's rights over HTTP, for its accountable partner (ADR 0025, ADR 0026): who saw its data, an export
of everything held about it, and its objection to the rules without a legal duty. Every call is audited."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from services.core.dependencies import DbSession
from services.privacy import service
from services.privacy.schemas import AuditLogRead, ObjectionCreate, ObjectionRead, YouthExportRead
from services.signals.dependencies import SignalReader, SignalWriter, answer
from services.signals.service import Viewer

router = APIRouter(tags=["privacy"])
ACCOUNTABLE_ONLY = "For the youth's accountable partner; any other key gets 404. The privacy officer uses the CLI."


def _actor(viewer: Viewer) -> service.Actor:
    return service.Actor(caller=viewer.caller, endpoint=viewer.endpoint, purpose=viewer.purpose)


@router.get(
    "/youths/{youth_id}/audit",
    response_model=AuditLogRead,
    summary="Who saw or changed the youth's data, when and why (AVG art. 15)",
    description=f"Oldest first, this read included. {ACCOUNTABLE_ONLY}",
)
def youth_audit(youth_id: str, session: DbSession, viewer: SignalReader) -> JSONResponse:
    return answer(service.audit_log(session, _actor(viewer), youth_id))


@router.get(
    "/youths/{youth_id}/export",
    response_model=YouthExportRead,
    summary="Everything held about the youth (AVG art. 15)",
    description=f"Events, local ids, all signals with history, accountability, handovers, objection, audit log; "
    f"not the BSN itself (see `/identity`). {ACCOUNTABLE_ONLY}",
)
def youth_export(youth_id: str, session: DbSession, viewer: SignalReader) -> JSONResponse:
    return answer(service.export(session, _actor(viewer), youth_id))


@router.post(
    "/youths/{youth_id}/objection",
    response_model=ObjectionRead,
    status_code=201,
    summary="Record the youth's objection (bezwaar, AVG art. 21)",
    description=(
        "From the next evaluation on only the rules of a legal duty (Leerplichtwet, RMC) raise signals about the "
        "youth; signals raised before stay. 409 when an objection is already recorded. "
        f"Body: `reason` (1..500 characters). {ACCOUNTABLE_ONLY}"
    ),
)
def youth_objection(youth_id: str, body: ObjectionCreate, session: DbSession, viewer: SignalWriter) -> JSONResponse:
    return answer(service.object_to_rules(session, _actor(viewer), youth_id, body), status_code=201)
