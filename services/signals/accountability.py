# SPDX-License-Identifier: EUPL-1.2
"""Handovers, the ketenregisseur's override and the escalations list (interface.md, "Signals"; domain.md,
"Accountability"): a youth has at most one accountable partner, changed only by an accepted handover or the
override. Never commits.
"""

from __future__ import annotations

import uuid

from sqlalchemy.orm import Session

from services.core import repository as partners
from services.core.clock import utcnow
from services.core.models import Accountability, Handover
from services.core.problems import InvalidParam, Problem, bad_request
from services.core.scopes import ACCOUNTABLE_ROLES
from services.signals import repository
from services.signals.schemas import (
    AccountabilityRead,
    AccountabilityUpdate,
    EscalatedYouthRead,
    EscalationsRead,
    HandoverCreate,
    HandoverRead,
    HandoverUpdate,
)
from services.signals.service import (
    Keyset,
    Viewer,
    is_stalled,
    not_found,
    parse_id,
    signal_reads,
    visible_youth,
    youth_summaries,
)
from services.signals.webhooks import events

WITHDRAWN_BY_OVERRIDE = "Withdrawn: the ketenregisseur assigned the youth's accountability."


def _handover_read(handover: Handover) -> HandoverRead:
    return HandoverRead.model_validate(handover, from_attributes=True)


def _check_accountable_partner(
    session: Session, partner_id: uuid.UUID, name: str, *, sender: uuid.UUID | None = None
) -> None:
    """domain.md, "Accountability": only partners with an accountable role can hold a youth (400 otherwise)."""
    profile = partners.load_partner_profile(session, partner_id)
    if profile is None:
        reason = "No partner has this id."
    elif not profile.roles & ACCOUNTABLE_ROLES:
        reason = "This partner holds no role that can be accountable (" + ", ".join(sorted(ACCOUNTABLE_ROLES)) + ")."
    elif partner_id == sender:
        reason = "A handover goes to another partner."
    else:
        return
    raise bad_request([InvalidParam(name, reason)])


def request_handover(session: Session, viewer: Viewer, youth_id: str, body: HandoverCreate) -> HandoverRead:
    """`POST /youths/{id}/handovers` by the accountable partner; nothing changes until it is accepted."""
    summary = visible_youth(session, viewer, youth_id)
    if summary.accountable_partner_id != viewer.partner_id:
        raise Problem(403, "Only the youth's accountable partner may hand it over.")
    # The youth's row lock serialises every change of its accountability (one pending handover, one holder).
    repository.lock_youth(session, summary.id)
    current = repository.current_accountability(session, summary.id)
    if current is None or current.partner_id != viewer.partner_id:
        raise Problem(409, "The youth's accountability changed meanwhile.")
    _check_accountable_partner(session, body.to_partner_id, "/toPartnerId", sender=viewer.partner_id)
    if repository.pending_handovers(session, summary.id):
        raise Problem(409, "This youth already has a pending handover.")
    handover = repository.add_handover(
        session,
        youth_id=summary.id,
        from_partner_id=viewer.partner_id,
        to_partner_id=body.to_partner_id,
        reason=body.reason,
        now=utcnow(),
    )
    events.handover_requested(session, handover)
    viewer.audit(session, [summary.id], "change")
    return _handover_read(handover)


def list_handovers(
    session: Session,
    viewer: Viewer,
    *,
    direction: str | None,
    status: str | None,
    after: Keyset | None,
    limit: int,
) -> tuple[list[HandoverRead], Keyset | None]:
    """`GET /handovers`: the caller's own, incoming and/or outgoing, newest first."""
    rows = repository.list_handovers(
        session, partner_id=viewer.partner_id, direction=direction, status=status, after=after, limit=limit + 1
    )
    page = rows[:limit]
    viewer.audit(session, [h.youth_id for h in page], "read")
    following = (page[-1].requested_at, page[-1].id) if len(rows) > limit else None
    return [_handover_read(h) for h in page], following


def _visible_handover(session: Session, viewer: Viewer, handover_id: str) -> Handover:
    handover = repository.get_handover(session, parse_id(handover_id, "handover"))
    if handover is None:
        raise not_found("handover")
    party = viewer.partner_id in (handover.from_partner_id, handover.to_partner_id)
    # The ketenregisseur reads only what the escalations list shows it: handovers stalled while pending.
    stalled = viewer.chain and handover.status == "pending" and is_stalled(handover, viewer.today)
    if not (party or stalled):
        raise not_found("handover")
    return handover


def get_handover(session: Session, viewer: Viewer, handover_id: str) -> HandoverRead:
    handover = _visible_handover(session, viewer, handover_id)
    viewer.audit(session, [handover.youth_id], "read")
    return _handover_read(handover)


def answer_handover(session: Session, viewer: Viewer, handover_id: str, body: HandoverUpdate) -> HandoverRead:
    """`PATCH /handovers/{id}` by the receiver: accepting moves the accountability, declining changes nothing."""
    handover = _visible_handover(session, viewer, handover_id)
    if handover.to_partner_id != viewer.partner_id:
        raise Problem(403, "Only the receiving partner may answer a handover.")
    repository.lock_youth(session, handover.youth_id)
    session.refresh(handover)  # re-read under the lock: a concurrent answer or override may have won
    if handover.status != "pending":
        raise Problem(409, f"This handover is {handover.status}, not pending.")
    now = utcnow()
    if body.status == "accepted":
        current = repository.current_accountability(session, handover.youth_id)
        if current is None or current.partner_id != handover.from_partner_id:
            raise Problem(409, "The sending partner is no longer accountable for this youth.")
        repository.replace_accountable(
            session, handover.youth_id, handover.to_partner_id, now=now, cause="handover", handover_id=handover.id
        )
    repository.answer_handover(session, handover, status=body.status, reason=body.reason, now=now)
    events.handovers_answered(session, [handover], now)
    if body.status == "accepted":
        events.accountability_changed(
            session,
            handover.youth_id,
            previous=handover.from_partner_id,
            current=handover.to_partner_id,
            at=now,
            handover_id=handover.id,
        )
    viewer.audit(session, [handover.youth_id], "change")
    return _handover_read(handover)


def override_accountability(
    session: Session, viewer: Viewer, youth_id: str, body: AccountabilityUpdate
) -> AccountabilityRead:
    """`PUT /youths/{id}/accountability`: the ketenregisseur's override; pending handovers are withdrawn."""
    found = parse_id(youth_id, "youth")
    # Only a youth the chain has a signal about can be assigned: the override is no way to reach (or probe for)
    # any registered youth, whose identity its new accountable partner could then look up (ADR 0014).
    if not repository.lock_youth(session, found) or not repository.has_signals(session, found):
        raise not_found("youth")
    _check_accountable_partner(session, body.partner_id, "/partnerId")
    current: Accountability | None = repository.current_accountability(session, found)
    if current is not None and current.partner_id == body.partner_id:
        row = current
        viewer.audit(session, [found], "read")
    else:
        now = utcnow()
        withdrawn = repository.withdraw_pending_handovers(session, found, now=now, reason=WITHDRAWN_BY_OVERRIDE)
        row = repository.replace_accountable(session, found, body.partner_id, now=now, cause="override")
        events.handovers_answered(session, withdrawn, now)
        previous = current.partner_id if current is not None else None
        events.accountability_changed(session, found, previous=previous, current=body.partner_id, at=now)
        viewer.audit(session, [found], "change")
    return AccountabilityRead(youth_id=found, partner_id=row.partner_id, since=row.since, cause=row.cause)


def escalations(session: Session, viewer: Viewer) -> EscalationsRead:
    """`GET /escalations`: escalated signals, handovers stalled 5 working days, youths without accountable."""
    signals = repository.escalated_signals(session)
    stalled = [h for h in repository.pending_handovers(session) if is_stalled(h, viewer.today)]
    orphans: dict[uuid.UUID, list[uuid.UUID]] = {}
    for youth, signal_id in repository.serious_signals_without_accountable(session):
        orphans.setdefault(youth, []).append(signal_id)
    summaries = youth_summaries(session, {s.youth_id for s in signals} | set(orphans), viewer.today)
    youths = [
        EscalatedYouthRead(**summaries[youth].model_dump(), active_signals=ids)
        for youth, ids in orphans.items()
        if youth in summaries
    ]
    viewer.audit(session, [*(s.youth_id for s in signals), *(h.youth_id for h in stalled), *orphans], "read")
    return EscalationsRead(
        signals=signal_reads(session, viewer, signals, summaries),
        handovers=[_handover_read(h) for h in stalled],
        youths_without_accountable=youths,
    )
