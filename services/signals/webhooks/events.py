# SPDX-License-Identifier: EUPL-1.2
"""What each change delivers, and to whom (interface.md, "Webhooks"; ADR 0016 and 0018).

A partner receives only events about signals it may see, its own handovers and its own youths:
- signal events go to the partner the signal is routed to and the youth's accountable partner; escalations also
  to the ketenregisseur (the `municipality` partner), which keeps reading an escalated signal while it is active;
- handover events go to the sending and the receiving partner;
- `accountability.changed` goes to the partner that held the youth and the one that holds it now.
Called in the transaction that made the change, so the deliveries commit (or roll back) with it.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from services.core.models import Handover
from services.signals.webhooks import outbox
from services.signals.webhooks import repository_deliveries as repository
from services.signals.webhooks.outbox import Change

SIGNAL_RAISED = "nl.glansrijk.signal.raised"
SIGNAL_ESCALATED = "nl.glansrijk.signal.escalated"
SIGNAL_STATUS_CHANGED = "nl.glansrijk.signal.status-changed"
HANDOVER_REQUESTED = "nl.glansrijk.handover.requested"
HANDOVER_ANSWERED = "nl.glansrijk.handover.answered"
ACCOUNTABILITY_CHANGED = "nl.glansrijk.accountability.changed"


def _partners(*candidates: uuid.UUID | None) -> tuple[uuid.UUID, ...]:
    return tuple(dict.fromkeys(p for p in candidates if p is not None))


def _signal_change(type_: str, row: dict[str, Any], at: datetime, audience: tuple[uuid.UUID, ...]) -> Change:
    signal_id, youth_id = str(row["id"]), str(row["youth_id"])
    return Change(
        type=type_,
        youth_id=row["youth_id"],
        at=at,
        audience=audience,
        data={
            "signalId": signal_id,
            "youthId": youth_id,
            "signalType": row["type"],
            "severity": row["severity"],
            "status": row["status"],
            "reasonCodes": [reason["code"] for reason in row["reasons"]],
        },
        path=f"/signals/v1/signals/{signal_id}",
    )


def signals_raised(session: Session, rows: Sequence[dict[str, Any]]) -> int:
    """New signals (the evaluation's rows, after accountability was settled in the same transaction)."""
    if not rows:
        return 0
    accountable = repository.accountable_partners(session, {row["youth_id"] for row in rows})
    changes = [
        _signal_change(
            SIGNAL_RAISED, row, row["created_at"], _partners(row["routed_to"], accountable.get(row["youth_id"]))
        )
        for row in rows
    ]
    return outbox.enqueue(session, changes)


def _stored_signal_changes(
    session: Session, type_: str, signal_ids: Collection[uuid.UUID], at: datetime, *, always_chain: bool
) -> int:
    """Changes of stored signals, for the routed and the accountable partner, and for the ketenregisseur
    always or (it reads escalated signals only) while the signal is escalated."""
    if not signal_ids:
        return 0
    rows = repository.signal_rows(session, signal_ids)
    accountable = repository.accountable_partners(session, {row["youth_id"] for row in rows})
    municipality = repository.municipality(session)
    changes = []
    for row in rows:
        told_chain = always_chain or row["escalated"]
        audience = _partners(row["routed_to"], accountable.get(row["youth_id"]), municipality if told_chain else None)
        changes.append(_signal_change(type_, row, at, audience))
    return outbox.enqueue(session, changes)


def signals_escalated(session: Session, signal_ids: Collection[uuid.UUID], at: datetime) -> int:
    return _stored_signal_changes(session, SIGNAL_ESCALATED, signal_ids, at, always_chain=True)


def signals_status_changed(session: Session, signal_ids: Collection[uuid.UUID], at: datetime) -> int:
    """Acknowledged, resolved or dismissed (by its partner, or dismissed because its facts were retracted)."""
    return _stored_signal_changes(session, SIGNAL_STATUS_CHANGED, signal_ids, at, always_chain=False)


def _handover_change(type_: str, handover: Handover, at: datetime) -> Change:
    return Change(
        type=type_,
        youth_id=handover.youth_id,
        at=at,
        audience=_partners(handover.from_partner_id, handover.to_partner_id),
        data={
            "handoverId": str(handover.id),
            "youthId": str(handover.youth_id),
            "status": handover.status,
            # The partner asked to take the youth over.
            "partnerId": str(handover.to_partner_id),
        },
        path=f"/signals/v1/handovers/{handover.id}",
    )


def handover_requested(session: Session, handover: Handover) -> int:
    return outbox.enqueue(session, [_handover_change(HANDOVER_REQUESTED, handover, handover.requested_at)])


def handovers_answered(session: Session, handovers: Iterable[Handover], at: datetime) -> int:
    """Accepted or declined by the receiver, or `withdrawn` by the ketenregisseur's override (ADR 0018)."""
    return outbox.enqueue(session, [_handover_change(HANDOVER_ANSWERED, h, at) for h in handovers])


def accountability_changed(
    session: Session,
    youth_id: uuid.UUID,
    *,
    previous: uuid.UUID | None,
    current: uuid.UUID,
    at: datetime,
    handover_id: uuid.UUID | None = None,
) -> int:
    data = {"youthId": str(youth_id), "partnerId": str(current)}
    if handover_id is not None:
        data["handoverId"] = str(handover_id)
    change = Change(
        type=ACCOUNTABILITY_CHANGED,
        youth_id=youth_id,
        at=at,
        audience=_partners(previous, current),
        data=data,
        path=f"/signals/v1/youths/{youth_id}",
    )
    return outbox.enqueue(session, [change])
