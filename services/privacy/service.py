# SPDX-License-Identifier: EUPL-1.2
"""The youth's rights (AVG art. 15, 17 and 21): who saw its data, everything held about it, the objection.

Two ways in, one logic: the youth's accountable partner over HTTP (`/signals/v1/youths/{id}/...`), and the
privacy officer's request carried out by the operator on the command line (`glansrijk youths ...`, ADR 0025).
Every call is itself written to the audit log, in the caller's transaction. Never commits.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy.orm import Session

from services.core import audit
from services.core.auth import Caller
from services.core.clock import utcnow
from services.core.problems import Problem
from services.privacy import repository
from services.privacy.schemas import (
    AuditEntryRead,
    AuditLogRead,
    ExportAccountabilityRead,
    ExportEventRead,
    ExportHandoverRead,
    ExportLocalIdRead,
    ExportSignalChangeRead,
    ExportSignalRead,
    ObjectionCreate,
    ObjectionRead,
    YouthExportRead,
)


@dataclass(frozen=True)
class Actor:
    """Who asks: an API key of the accountable partner, or the operator (`caller` None) on the command line."""

    caller: Caller | None
    endpoint: str
    purpose: str | None

    def audit(self, session: Session, youth_id: uuid.UUID, action: audit.AuditAction) -> None:
        audit.record(session, self.caller, [youth_id], action, self.endpoint, self.purpose)


def not_found() -> Problem:
    return Problem(404, "No youth with this id is visible to this key.")


def youth_for(session: Session, actor: Actor, youth_id: str) -> uuid.UUID:
    """The youth, if the actor may exercise its rights: its accountable partner, or the operator. Else 404."""
    try:
        found = uuid.UUID(youth_id)
    except ValueError:
        raise not_found() from None
    if repository.youth(session, found) is None:
        raise not_found()
    if actor.caller is not None and repository.current_accountable(session, found) != actor.caller.partner_id:
        raise not_found()
    return found


def _audit_reads(session: Session, youth_id: uuid.UUID) -> list[AuditEntryRead]:
    return [AuditEntryRead.model_validate(row) for row in repository.audit_entries(session, youth_id)]


def audit_log(session: Session, actor: Actor, youth_id: str) -> AuditLogRead:
    """Which organisations saw or changed which of the youth's data, when and why; this read included."""
    found = youth_for(session, actor, youth_id)
    actor.audit(session, found, "read")
    return AuditLogRead(youth_id=found, items=_audit_reads(session, found))


def _objection_read(session: Session, youth_id: uuid.UUID) -> ObjectionRead | None:
    row = repository.objection(session, youth_id)
    return None if row is None else ObjectionRead.model_validate(row)


def export(session: Session, actor: Actor, youth_id: str) -> YouthExportRead:
    """Everything held about the youth. The identifier is left out: the youth knows it, and its lookup is an
    endpoint of its own; the derived state and the reporting snapshot are computed from what is listed here."""
    found = youth_for(session, actor, youth_id)
    actor.audit(session, found, "export")
    youth = repository.youth(session, found)
    assert youth is not None  # checked by youth_for in this transaction
    signals = [
        ExportSignalRead(
            id=signal.id,
            type=signal.type,
            severity=signal.severity,
            status=signal.status,
            raised_on=signal.raised_on,
            deadline=signal.deadline,
            escalated=signal.escalated,
            routed_to=signal.routed_to,
            reasons=signal.reasons,
            history=[ExportSignalChangeRead.model_validate(change) for change in changes],
        )
        for signal, changes in repository.signals_with_history(session, found)
    ]
    return YouthExportRead(
        youth_id=found,
        identifier_kind=youth.identifier_kind,
        known_since=youth.created_at,
        events=[ExportEventRead.model_validate(event) for event in repository.events(session, found)],
        local_ids=[ExportLocalIdRead.model_validate(row) for row in repository.local_ids(session, found)],
        signals=signals,
        accountability=[
            ExportAccountabilityRead.model_validate(period) for period in repository.accountabilities(session, found)
        ],
        handovers=[ExportHandoverRead.model_validate(h) for h in repository.handovers(session, found)],
        objection=_objection_read(session, found),
        audit=_audit_reads(session, found),
    )


def object_to_rules(session: Session, actor: Actor, youth_id: str, body: ObjectionCreate) -> ObjectionRead:
    """Record the youth's objection: from the next evaluation on, only the rules of a legal duty raise signals
    about it (ADR 0026). One objection per youth: a second is a 409, the first stands."""
    found = youth_for(session, actor, youth_id)
    if repository.objection(session, found) is not None:
        raise Problem(409, "An objection is already recorded for this youth.")
    caller = actor.caller
    repository.add_objection(
        session,
        {
            "youth_id": found,
            "lodged_at": utcnow(),
            "partner_id": caller.partner_id if caller is not None else None,
            "key_id": caller.key_id if caller is not None else None,
            "reason": body.reason,
        },
    )
    actor.audit(session, found, "change")
    objection = _objection_read(session, found)
    assert objection is not None
    return objection
