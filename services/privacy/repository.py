# SPDX-License-Identifier: EUPL-1.2
"""All SQL of the privacy service: what is held about one youth, objections, and what retention removes."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Collection
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, insert, or_, select, union_all, update
from sqlalchemy.orm import Session

from services.core.models import (
    Accountability,
    AuditEntry,
    Delivery,
    Event,
    Handover,
    Objection,
    Partner,
    Registration,
    ReportingYouthMonth,
    Signal,
    SignalChange,
    Youth,
    YouthLocalId,
    YouthProfile,
)
from services.intake.repository import delete_projection

ACTIVE = ("open", "acknowledged")
# A delivery still being tried is kept whatever its age: it is work, not a log.
FINISHED_DELIVERIES = ("succeeded", "failed", "skipped")
ERASED_KIND = "erased"


def youth(session: Session, youth_id: uuid.UUID) -> Youth | None:
    found = session.get(Youth, youth_id)
    return None if found is None or found.identifier_kind == ERASED_KIND else found


def current_accountable(session: Session, youth_id: uuid.UUID) -> uuid.UUID | None:
    query = select(Accountability.partner_id).where(Accountability.youth_id == youth_id, Accountability.until.is_(None))
    return session.scalar(query)


def audit_entries(session: Session, youth_id: uuid.UUID) -> list[Any]:
    query = (
        select(
            AuditEntry.at,
            AuditEntry.partner_id,
            Partner.name.label("partner_name"),
            AuditEntry.key_id,
            AuditEntry.action,
            AuditEntry.endpoint,
            AuditEntry.purpose,
        )
        .outerjoin(Partner, Partner.id == AuditEntry.partner_id)
        .where(AuditEntry.youth_id == youth_id)
        .order_by(AuditEntry.at, AuditEntry.id)
    )
    return list(session.execute(query))


def events(session: Session, youth_id: uuid.UUID) -> list[Event]:
    return list(session.scalars(select(Event).where(Event.youth_id == youth_id).order_by(Event.time, Event.seq)))


def local_ids(session: Session, youth_id: uuid.UUID) -> list[YouthLocalId]:
    query = select(YouthLocalId).where(YouthLocalId.youth_id == youth_id).order_by(YouthLocalId.partner_id)
    return list(session.scalars(query))


def signals_with_history(session: Session, youth_id: uuid.UUID) -> list[tuple[Signal, list[SignalChange]]]:
    signals = list(
        session.scalars(select(Signal).where(Signal.youth_id == youth_id).order_by(Signal.created_at, Signal.id))
    )
    changes: dict[uuid.UUID, list[SignalChange]] = {s.id: [] for s in signals}
    if signals:
        query = select(SignalChange).where(SignalChange.signal_id.in_(changes)).order_by(SignalChange.id)
        for change in session.scalars(query):
            changes[change.signal_id].append(change)
    return [(s, changes[s.id]) for s in signals]


def accountabilities(session: Session, youth_id: uuid.UUID) -> list[Accountability]:
    query = select(Accountability).where(Accountability.youth_id == youth_id)
    return list(session.scalars(query.order_by(Accountability.since, Accountability.id)))


def handovers(session: Session, youth_id: uuid.UUID) -> list[Handover]:
    query = select(Handover).where(Handover.youth_id == youth_id).order_by(Handover.requested_at, Handover.id)
    return list(session.scalars(query))


# --- objections -----------------------------------------------------------------------------------------------


def objection(session: Session, youth_id: uuid.UUID) -> Objection | None:
    return session.get(Objection, youth_id)


def add_objection(session: Session, row: dict[str, Any]) -> None:
    session.execute(insert(Objection), [row])


def objected(session: Session, youth_ids: Collection[uuid.UUID]) -> frozenset[uuid.UUID]:
    """The youths among `youth_ids` with an objection, in one query (the evaluation asks per chunk)."""
    if not youth_ids:
        return frozenset()
    return frozenset(session.scalars(select(Objection.youth_id).where(Objection.youth_id.in_(list(youth_ids)))))


# --- retention ------------------------------------------------------------------------------------------------


def last_activity(session: Session, before: datetime) -> list[tuple[uuid.UUID, datetime]]:
    """Youths whose latest dated trace (known since, an event received, a signal change, an accountability or
    handover moment, an objection) is before `before`, and that have no active signal."""
    moments = union_all(
        select(Youth.id.label("youth_id"), Youth.created_at.label("at")).where(Youth.identifier_kind != ERASED_KIND),
        select(Event.youth_id, func.max(Event.received_at)).group_by(Event.youth_id),
        select(Signal.youth_id, func.max(SignalChange.at))
        .join(SignalChange, SignalChange.signal_id == Signal.id)
        .group_by(Signal.youth_id),
        select(Accountability.youth_id, func.max(func.coalesce(Accountability.until, Accountability.since))).group_by(
            Accountability.youth_id
        ),
        select(Handover.youth_id, func.max(func.coalesce(Handover.answered_at, Handover.requested_at))).group_by(
            Handover.youth_id
        ),
        select(Objection.youth_id, Objection.lodged_at),
    ).subquery()
    active = select(Signal.youth_id).where(Signal.status.in_(ACTIVE))
    latest = func.max(moments.c.at)
    query = (
        select(moments.c.youth_id, latest)
        .where(moments.c.youth_id.not_in(active))
        .group_by(moments.c.youth_id)
        .having(latest < before)
    )
    known = select(Youth.id).where(Youth.identifier_kind != ERASED_KIND)
    return [(row[0], row[1]) for row in session.execute(query.where(moments.c.youth_id.in_(known)))]


def registration_and_birth(session: Session, youth_ids: Collection[uuid.UUID]) -> dict[uuid.UUID, tuple[Any, Any]]:
    """Per youth: its latest registration fact (kind) and its birth date, for the target-group test."""
    found: dict[uuid.UUID, tuple[Any, Any]] = {}
    ids = list(youth_ids)
    for start in range(0, len(ids), 1000):
        part = ids[start : start + 1000]
        query = select(YouthProfile.youth_id, YouthProfile.birth_date).where(YouthProfile.youth_id.in_(part))
        births = {youth_id: birth for youth_id, birth in session.execute(query)}
        kinds: dict[uuid.UUID, str] = {}
        rows = session.execute(
            select(Registration.youth_id, Registration.kind)
            .where(Registration.youth_id.in_(part))
            .order_by(Registration.youth_id, Registration.date, Registration.event_seq)
        )
        for youth_id, kind in rows:
            kinds[youth_id] = kind
        for youth_id in part:
            found[youth_id] = (kinds.get(youth_id), births.get(youth_id))
    return found


def erase(session: Session, youth_id: uuid.UUID, now: datetime) -> int:
    """Delete everything held about the youth. The month-end snapshot rows that the published numbers are
    summed from move to a fresh anonymous stub each, so a recomputed month-end keeps them (ADR 0027)."""
    kept = list(
        session.scalars(
            select(ReportingYouthMonth.month_end).where(
                ReportingYouthMonth.youth_id == youth_id,
                or_(ReportingYouthMonth.target == 1, ReportingYouthMonth.without_accountable == 1),
            )
        )
    )
    for month_end in kept:
        stub = uuid.uuid4()
        # A random pseudonym matches no identifier: no BSN can ever find the stub again.
        session.execute(
            insert(Youth).values(
                id=stub, pseudonym=secrets.token_bytes(32), identifier_kind=ERASED_KIND, created_at=now
            )
        )
        session.execute(
            update(ReportingYouthMonth)
            .where(ReportingYouthMonth.youth_id == youth_id, ReportingYouthMonth.month_end == month_end)
            .values(youth_id=stub)
        )
    # The projection has no foreign keys (ADR 0017); deliveries name the youth without one (their payload
    # carries its id). The rest goes with the youth by cascade: events, signals, accountability, handovers,
    # local ids, the objection, the remaining snapshot rows, the webhook sequence.
    delete_projection(session, [youth_id])
    session.execute(delete(Delivery).where(Delivery.youth_id == youth_id))
    session.execute(delete(Youth).where(Youth.id == youth_id))
    return len(kept)


def delete_deliveries_before(session: Session, before: datetime) -> int:
    """Finished deliveries (with their attempts, by cascade) created before `before`."""
    result = session.execute(
        delete(Delivery).where(Delivery.created_at < before, Delivery.status.in_(FINISHED_DELIVERIES))
    )
    return int(getattr(result, "rowcount", 0) or 0)
