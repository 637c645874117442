# SPDX-License-Identifier: EUPL-1.2
"""SQL of the evaluation: the outbox, youth locks, signal and accountability writes, escalation, handovers."""

from __future__ import annotations

import uuid
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import String, Uuid, any_, bindparam, insert, or_, select, tuple_, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from services.core.models import (
    Accountability,
    Event,
    EventBatch,
    Handover,
    Registration,
    Retraction,
    Signal,
    SignalChange,
    SignalEvidence,
    Youth,
)
from services.signals.rules.state import ACTIVE_STATUSES, EventRef, ref_of_version

ACTIVE = tuple(sorted(ACTIVE_STATUSES))


@dataclass(frozen=True)
class BatchRow:
    id: int
    raise_signals: bool
    evaluated: bool


def among(column: Any, ids: Collection[uuid.UUID], session: Session) -> Any:
    """`column IN ids`: on Postgres as `= ANY(array)`, one parameter instead of one per id (a chunk has 500)."""
    if session.get_bind().dialect.name == "postgresql":
        return column == any_(bindparam(None, list(ids), type_=postgresql.ARRAY(Uuid())))
    return column.in_(list(ids))


def among_text(column: Any, values: Collection[str], session: Session) -> Any:
    """`column IN values` for text, as one array parameter on Postgres."""
    if session.get_bind().dialect.name == "postgresql":
        return column == any_(bindparam(None, list(values), type_=postgresql.ARRAY(String())))
    return column.in_(list(values))


def _upsert(session: Session, table: Any) -> Any:
    dialect = session.get_bind().dialect.name
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)


# -- the outbox ---------------------------------------------------------------------------------------------
def lock_batch(session: Session, batch_id: int, *, wait: bool = True) -> BatchRow | None:
    """The batch, locked. With `wait` a second evaluation of the same batch waits here, then sees it evaluated;
    without, it gets None at once while another transaction holds the batch (which will evaluate it)."""
    row = session.execute(
        select(EventBatch.id, EventBatch.raise_signals, EventBatch.evaluated_at)
        .where(EventBatch.id == batch_id)
        .with_for_update(skip_locked=not wait)
    ).one_or_none()
    return None if row is None else BatchRow(row.id, row.raise_signals, row.evaluated_at is not None)


def first_free_unevaluated(session: Session) -> BatchRow | None:
    """The oldest request not yet evaluated that no other transaction holds, locked."""
    row = session.execute(
        select(EventBatch.id, EventBatch.raise_signals)
        .where(EventBatch.evaluated_at.is_(None))
        .order_by(EventBatch.id)
        .limit(1)
        .with_for_update(skip_locked=True)
    ).one_or_none()
    return None if row is None else BatchRow(row.id, row.raise_signals, False)


def small_unevaluated_batches(session: Session, besides: int, max_events: int, limit: int) -> list[BatchRow]:
    """Other small requests not yet evaluated, locked; Postgres skips those another worker holds."""
    rows = session.execute(
        select(EventBatch.id, EventBatch.raise_signals)
        .where(EventBatch.evaluated_at.is_(None), EventBatch.id != besides, EventBatch.event_count <= max_events)
        .order_by(EventBatch.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return [BatchRow(row.id, row.raise_signals, False) for row in rows]


def batch_youths(session: Session, batch_ids: Collection[int]) -> set[uuid.UUID]:
    if not batch_ids:
        return set()
    query = select(Event.youth_id).where(Event.batch_id.in_(list(batch_ids))).distinct()
    return set(session.scalars(query))


def retracted_by_batches(session: Session, batch_ids: Collection[int]) -> set[int]:
    """Sequence numbers of the events that the retractions of these batches retract."""
    retraction = (
        select(Retraction.source, Retraction.retracted_id)
        .join(Event, Event.seq == Retraction.event_seq)
        .where(Event.batch_id.in_(list(batch_ids)))
    )
    pairs = [tuple(row) for row in session.execute(retraction)]
    if not pairs:
        return set()
    return set(session.scalars(select(Event.seq).where(tuple_(Event.source, Event.event_id).in_(pairs))))


def mark_evaluated(session: Session, batch_ids: Collection[int], now: datetime) -> None:
    session.execute(update(EventBatch).where(EventBatch.id.in_(list(batch_ids))).values(evaluated_at=now))


def unevaluated_batches(session: Session, received_before: datetime | None, limit: int) -> list[int]:
    query = select(EventBatch.id).where(EventBatch.evaluated_at.is_(None)).order_by(EventBatch.id).limit(limit)
    if received_before is not None:
        query = query.where(EventBatch.received_at < received_before)
    return list(session.scalars(query))


# -- youths ---------------------------------------------------------------------------------------------------
def lock_youths(session: Session, youth_ids: Collection[uuid.UUID]) -> None:
    """Serialise evaluations of the same youth across workers (FOR NO KEY UPDATE: intake's inserts of events
    that reference the youth are not blocked)."""
    if session.get_bind().dialect.name != "postgresql" or not youth_ids:
        return
    session.execute(
        select(Youth.id).where(among(Youth.id, youth_ids, session)).order_by(Youth.id).with_for_update(key_share=True)
    ).all()


def registered_youths_after(session: Session, after: uuid.UUID | None, limit: int) -> list[uuid.UUID]:
    """The next `limit` youths with a registration fact (only they can be in the target group), by id."""
    query = select(Registration.youth_id).distinct().order_by(Registration.youth_id).limit(limit)
    if after is not None:
        query = query.where(Registration.youth_id > after)
    return list(session.scalars(query))


def youths_between(session: Session, first: uuid.UUID, last: uuid.UUID) -> list[uuid.UUID]:
    return list(
        session.scalars(
            select(Registration.youth_id)
            .distinct()
            .where(Registration.youth_id >= first, Registration.youth_id <= last)
            .order_by(Registration.youth_id)
        )
    )


# -- signals ------------------------------------------------------------------------------------------------
def insert_signals(session: Session, rows: list[dict[str, Any]]) -> set[uuid.UUID]:
    """Insert the signals whose dedupe key was never used (also not by a concurrent evaluation): the ids
    inserted. Sent as one executemany of a cached statement (SQLAlchemy batches it into multi-row INSERTs), not
    as a statement with a VALUES row per signal, which would be compiled anew for every count of rows."""
    if not rows:
        return set()
    table = Signal.__table__
    statement = (
        _upsert(session, table)
        .on_conflict_do_nothing(index_elements=["youth_id", "type", "dedupe_key"])
        .returning(table.c.id)
    )
    return {row[0] for row in session.connection().execute(statement, rows)}


def insert_changes(session: Session, rows: list[dict[str, Any]]) -> None:
    if rows:
        session.execute(insert(SignalChange), rows)


def event_seq_map(session: Session, refs: Collection[EventRef]) -> dict[EventRef, int]:
    """The sequence number of each referenced event that exists. Looked up per source with the event ids as one
    list: a row-value IN over (source, id) pairs is planned as a filter over the whole events table."""
    found: dict[EventRef, int] = {r: r for r in refs if isinstance(r, int)}
    by_source: dict[str, dict[str, EventRef]] = {}
    for ref in refs:
        if isinstance(ref, str):
            source, event_id = ref_of_version(ref)
            by_source.setdefault(source, {})[event_id] = ref
    for source, wanted in by_source.items():
        ids = list(wanted)
        for start in range(0, len(ids), 1000):
            rows = session.execute(
                select(Event.event_id, Event.seq).where(
                    Event.source == source, among_text(Event.event_id, ids[start : start + 1000], session)
                )
            )
            found.update({wanted[row.event_id]: row.seq for row in rows})
    return found


def insert_evidence(session: Session, rows: list[dict[str, Any]]) -> None:
    if rows:
        session.execute(insert(SignalEvidence), rows)


def make_accountable_if_none(session: Session, partners: dict[uuid.UUID, uuid.UUID], now: datetime) -> None:
    """youth -> partner: the first signal routed to an accountable role makes its partner accountable; the
    partial unique index keeps it at one per youth even when two writers race."""
    if not partners:
        return
    rows = [
        {"youth_id": youth, "partner_id": partner, "since": now, "until": None, "cause": "first-signal"}
        for youth, partner in partners.items()
    ]
    statement = (
        _upsert(session, Accountability)
        .values(rows)
        .on_conflict_do_nothing(index_elements=["youth_id"], index_where=Accountability.until.is_(None))
    )
    session.execute(statement)


def escalation_candidates(
    session: Session, day: date, youth_ids: Collection[uuid.UUID] | None
) -> list[tuple[uuid.UUID, str, str, date]]:
    """Active, not yet escalated signals whose deadline passed, or that escalate by themselves."""
    query = select(Signal.id, Signal.type, Signal.dedupe_key, Signal.deadline).where(
        Signal.status.in_(ACTIVE),
        Signal.escalated.is_(False),
        or_(Signal.deadline < day, Signal.type == "long-term-absence"),
    )
    if youth_ids is not None:
        query = query.where(among(Signal.youth_id, youth_ids, session))
    return [(r.id, r.type, r.dedupe_key, r.deadline) for r in session.execute(query)]


def escalate(session: Session, signal_ids: Collection[uuid.UUID], at: datetime) -> list[uuid.UUID]:
    if not signal_ids:
        return []
    result = session.execute(
        update(Signal)
        .where(Signal.id.in_(list(signal_ids)), Signal.escalated.is_(False), Signal.status.in_(ACTIVE))
        .values(escalated=True, escalated_at=at)
        .returning(Signal.id)
    )
    escalated = list(result.scalars())
    insert_changes(session, [{"signal_id": i, "at": at, "kind": "escalated", "status": None} for i in escalated])
    return escalated


def dismiss_retracted(session: Session, retracted: Collection[int], at: datetime) -> list[uuid.UUID]:
    """Active signals whose every piece of evidence is retracted become `dismissed` with reason `retracted`."""
    if not retracted:
        return []
    touched = select(SignalEvidence.signal_id).where(SignalEvidence.event_seq.in_(list(retracted)))
    still_standing = (
        select(SignalEvidence.signal_id)
        .join(Event, Event.seq == SignalEvidence.event_seq)
        .where(Event.retracted.is_(False))
    )
    ids = list(
        session.scalars(
            select(Signal.id).where(Signal.id.in_(touched), Signal.id.not_in(still_standing), Signal.status.in_(ACTIVE))
        )
    )
    if not ids:
        return []
    session.execute(
        update(Signal)
        .where(Signal.id.in_(ids))
        .values(status="dismissed", closed_at=at, close_reason_code="retracted", close_note="event retracted")
    )
    insert_changes(
        session,
        [{"signal_id": i, "at": at, "kind": "status", "status": "dismissed", "reason_code": "retracted"} for i in ids],
    )
    return ids


# -- handovers ----------------------------------------------------------------------------------------------
def pending_handovers(session: Session, requested_before: datetime) -> list[Handover]:
    return list(
        session.scalars(select(Handover).where(Handover.status == "pending", Handover.requested_at < requested_before))
    )
