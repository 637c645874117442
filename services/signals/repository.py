# SPDX-License-Identifier: EUPL-1.2
"""All SQL of the signals API: signals and their history, youth summaries, accountability and handovers.

Portable SQL only (Postgres in production, SQLite in the embedded default); `FOR UPDATE` is dropped by SQLite,
which has a single writer anyway.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, or_, select, update
from sqlalchemy.orm import Session

from services.core.models import (
    Accountability,
    EnrolmentEnd,
    EnrolmentPeriod,
    Event,
    Fact,
    Handover,
    Registration,
    Signal,
    SignalChange,
    Youth,
    YouthProfile,
)
from services.signals.rules.state import ACTIVE_STATUSES, STARTKWALIFICATIE_LEVELS

ACTIVE = tuple(sorted(ACTIVE_STATUSES))
SERIOUS = ("medium", "high")
QUALIFICATIONS = tuple(sorted(STARTKWALIFICATIE_LEVELS))
RETRACTION_TYPE = "event.retracted"  # stored without the `nl.glansrijk.` prefix
CHUNK = 500


def _chunks(items: list[Any], size: int = CHUNK) -> Iterator[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _after(column: Any, id_column: Any, after: tuple[datetime, uuid.UUID] | None) -> ColumnElement[bool] | None:
    """Keyset condition for a (time desc, id desc) order: rows strictly after the cursor's row."""
    if after is None:
        return None
    moment, last_id = after
    return or_(column < moment, and_(column == moment, id_column < last_id))


# --- youths ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class YouthState:
    """The raw facts a youth summary is computed from, as of one date."""

    birth_date: date | None
    district: str | None
    qualified: bool
    accountable: uuid.UUID | None
    # (start date, sector) of each enrolment period active on the date.
    active_enrolments: list[tuple[date, str]] = field(default_factory=list)


def youth_states(session: Session, youth_ids: Iterable[uuid.UUID], today: date) -> dict[uuid.UUID, YouthState]:
    """Two set-based queries per chunk of youths: the scalar facts, then the active enrolment periods."""
    ids = list(dict.fromkeys(youth_ids))
    birth = select(YouthProfile.birth_date).where(YouthProfile.youth_id == Youth.id).scalar_subquery()
    district = (
        select(Registration.district_code)
        .where(Registration.youth_id == Youth.id, Registration.kind == "registered")
        .order_by(Registration.date.desc(), Registration.event_seq.desc())
        .limit(1)
        .scalar_subquery()
    )
    qualified = exists().where(
        Fact.youth_id == Youth.id, Fact.kind == "qualification", Fact.code.in_(QUALIFICATIONS), Fact.date <= today
    )
    accountable = (
        select(Accountability.partner_id)
        .where(Accountability.youth_id == Youth.id, Accountability.until.is_(None))
        .scalar_subquery()
    )
    states: dict[uuid.UUID, YouthState] = {}
    enrolments: dict[uuid.UUID, list[tuple[date, str]]] = {}
    for part in _chunks(ids):
        query = select(Youth.id, birth, district, qualified, accountable).where(Youth.id.in_(part))
        for youth_id, birth_date, district_code, is_qualified, partner_id in session.execute(query):
            states[youth_id] = YouthState(birth_date, district_code, bool(is_qualified), partner_id)
        active = (
            select(EnrolmentPeriod.youth_id, EnrolmentPeriod.start_date, EnrolmentPeriod.sector)
            .outerjoin(
                EnrolmentEnd,
                and_(
                    EnrolmentEnd.youth_id == EnrolmentPeriod.youth_id,
                    EnrolmentEnd.source == EnrolmentPeriod.source,
                    EnrolmentEnd.episode_id == EnrolmentPeriod.episode_id,
                ),
            )
            .where(
                EnrolmentPeriod.youth_id.in_(part),
                EnrolmentPeriod.start_date <= today,
                or_(EnrolmentEnd.end_date.is_(None), EnrolmentEnd.end_date >= today),
            )
        )
        for youth_id, start_date, sector in session.execute(active):
            enrolments.setdefault(youth_id, []).append((start_date, sector))
    for youth_id, periods in enrolments.items():
        if youth_id in states:
            states[youth_id].active_enrolments.extend(periods)
    return states


def lock_youth(session: Session, youth_id: uuid.UUID) -> bool:
    """Lock the youth's row (False when there is none): every change of its accountability takes this lock."""
    # FOR NO KEY UPDATE, as the evaluation takes it: serialises accountability changes without blocking
    # intake's inserts of events that reference the youth.
    return session.scalar(select(Youth.id).where(Youth.id == youth_id).with_for_update(key_share=True)) is not None


def has_signals(session: Session, youth_id: uuid.UUID) -> bool:
    return session.scalar(select(Signal.id).where(Signal.youth_id == youth_id).limit(1)) is not None


def youth_by_pseudonym(session: Session, pseudonym: bytes) -> uuid.UUID | None:
    return session.scalar(select(Youth.id).where(Youth.pseudonym == pseudonym))


def youth_identity(session: Session, youth_id: uuid.UUID) -> tuple[str, bytes | None] | None:
    row = session.execute(
        select(Youth.identifier_kind, Youth.identifier_ciphertext).where(Youth.id == youth_id)
    ).one_or_none()
    return None if row is None else (row[0], row[1])


def timeline(session: Session, youth_id: uuid.UUID) -> list[Any]:
    """The youth's stored events (never `person`: intake strips it), retracted ones and retractions left out."""
    query = (
        select(Event.type, Event.time, Event.data)
        .where(Event.youth_id == youth_id, Event.retracted.is_(False), Event.type != RETRACTION_TYPE)
        .order_by(Event.time, Event.seq)
    )
    return list(session.execute(query))


# --- signals --------------------------------------------------------------------------------------------------


def visible_to(partner_id: uuid.UUID, chain: bool) -> ColumnElement[bool]:
    """interface.md, "Partners, keys and access": routed to the partner, about its youths, or escalated (chain)."""
    own_youths = select(Accountability.youth_id).where(
        Accountability.partner_id == partner_id, Accountability.until.is_(None)
    )
    conditions = [Signal.routed_to == partner_id, Signal.youth_id.in_(own_youths)]
    if chain:
        conditions.append(and_(Signal.escalated.is_(True), Signal.status.in_(ACTIVE)))
    return or_(*conditions)


def list_signals(
    session: Session,
    *,
    partner_id: uuid.UUID,
    chain: bool,
    status: str | None,
    type_: str | None,
    escalated: bool | None,
    after: tuple[datetime, uuid.UUID] | None,
    limit: int,
) -> list[Signal]:
    query = select(Signal).where(visible_to(partner_id, chain))
    if status is not None:
        query = query.where(Signal.status == status)
    if type_ is not None:
        query = query.where(Signal.type == type_)
    if escalated is not None:
        query = query.where(Signal.escalated.is_(escalated))
    keyset = _after(Signal.created_at, Signal.id, after)
    if keyset is not None:
        query = query.where(keyset)
    return list(session.scalars(query.order_by(Signal.created_at.desc(), Signal.id.desc()).limit(limit)))


def get_signal(session: Session, signal_id: uuid.UUID, *, lock: bool = False) -> Signal | None:
    query = select(Signal).where(Signal.id == signal_id)
    return session.scalars(query.with_for_update() if lock else query).one_or_none()


def signal_changes(session: Session, signal_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, list[SignalChange]]:
    changes: dict[uuid.UUID, list[SignalChange]] = {}
    for part in _chunks(list(signal_ids)):
        query = select(SignalChange).where(SignalChange.signal_id.in_(part)).order_by(SignalChange.at, SignalChange.id)
        for change in session.scalars(query):
            changes.setdefault(change.signal_id, []).append(change)
    return changes


def record_status_change(
    session: Session,
    signal: Signal,
    *,
    status: str,
    partner_id: uuid.UUID,
    now: datetime,
    reason_code: str | None,
    note: str | None,
) -> None:
    """Set the new status on the (locked) signal and append its history row."""
    signal.status = status
    if status == "acknowledged":
        signal.acknowledged_at = now
    else:
        signal.closed_at = now
        signal.close_reason_code = reason_code
        signal.close_note = note
    session.add(
        SignalChange(
            signal_id=signal.id,
            at=now,
            kind="status",
            status=status,
            partner_id=partner_id,
            reason_code=reason_code,
            note=note,
        )
    )
    session.flush()


def has_routed_signal(session: Session, youth_id: uuid.UUID, partner_id: uuid.UUID) -> bool:
    query = select(exists().where(Signal.youth_id == youth_id, Signal.routed_to == partner_id))
    return session.scalar(query) or False


def active_signals(session: Session, youth_id: uuid.UUID) -> list[Signal]:
    query = select(Signal).where(Signal.youth_id == youth_id, Signal.status.in_(ACTIVE))
    return list(session.scalars(query.order_by(Signal.created_at.desc(), Signal.id.desc())))


def escalated_signals(session: Session, youth_id: uuid.UUID | None = None) -> list[Signal]:
    query = select(Signal).where(Signal.escalated.is_(True), Signal.status.in_(ACTIVE))
    if youth_id is not None:
        query = query.where(Signal.youth_id == youth_id)
    return list(session.scalars(query.order_by(Signal.created_at.desc(), Signal.id.desc())))


def serious_signals_without_accountable(
    session: Session, youth_id: uuid.UUID | None = None
) -> list[tuple[uuid.UUID, uuid.UUID]]:
    """(youth, signal) of active medium or high signals of youths with no current accountable partner."""
    current = exists().where(Accountability.youth_id == Signal.youth_id, Accountability.until.is_(None))
    query = select(Signal.youth_id, Signal.id).where(Signal.status.in_(ACTIVE), Signal.severity.in_(SERIOUS), ~current)
    if youth_id is not None:
        query = query.where(Signal.youth_id == youth_id)
    rows = session.execute(query.order_by(Signal.youth_id, Signal.created_at.desc(), Signal.id.desc()))
    return [(row[0], row[1]) for row in rows]


# --- accountability -------------------------------------------------------------------------------------------


def current_accountability(session: Session, youth_id: uuid.UUID) -> Accountability | None:
    query = select(Accountability).where(Accountability.youth_id == youth_id, Accountability.until.is_(None))
    return session.scalars(query).one_or_none()


def accountability_history(session: Session, youth_id: uuid.UUID) -> list[Accountability]:
    query = select(Accountability).where(Accountability.youth_id == youth_id)
    return list(session.scalars(query.order_by(Accountability.since, Accountability.id)))


def replace_accountable(
    session: Session,
    youth_id: uuid.UUID,
    partner_id: uuid.UUID,
    *,
    now: datetime,
    cause: str,
    handover_id: uuid.UUID | None = None,
) -> Accountability:
    """Close the current period (if any) before opening the new one: the partial unique index allows one open."""
    session.execute(
        update(Accountability)
        .where(Accountability.youth_id == youth_id, Accountability.until.is_(None))
        .values(until=now)
    )
    row = Accountability(youth_id=youth_id, partner_id=partner_id, since=now, cause=cause, handover_id=handover_id)
    session.add(row)
    session.flush()
    return row


# --- handovers ------------------------------------------------------------------------------------------------


def get_handover(session: Session, handover_id: uuid.UUID) -> Handover | None:
    return session.get(Handover, handover_id)


def pending_handovers(session: Session, youth_id: uuid.UUID | None = None) -> list[Handover]:
    query = select(Handover).where(Handover.status == "pending")
    if youth_id is not None:
        query = query.where(Handover.youth_id == youth_id)
    return list(session.scalars(query.order_by(Handover.requested_at, Handover.id)))


def add_handover(
    session: Session,
    *,
    youth_id: uuid.UUID,
    from_partner_id: uuid.UUID,
    to_partner_id: uuid.UUID,
    reason: str,
    now: datetime,
) -> Handover:
    handover = Handover(
        id=uuid.uuid4(),
        youth_id=youth_id,
        from_partner_id=from_partner_id,
        to_partner_id=to_partner_id,
        reason=reason,
        status="pending",
        requested_at=now,
    )
    session.add(handover)
    session.flush()
    return handover


def answer_handover(session: Session, handover: Handover, *, status: str, reason: str | None, now: datetime) -> None:
    handover.status = status
    handover.answered_at = now
    handover.answer_reason = reason
    session.flush()


def withdraw_pending_handovers(session: Session, youth_id: uuid.UUID, *, now: datetime, reason: str) -> list[Handover]:
    """The youth's pending handovers become `withdrawn`; returns them (their parties are told)."""
    handovers = pending_handovers(session, youth_id)
    for handover in handovers:
        handover.status, handover.answered_at, handover.answer_reason = "withdrawn", now, reason
    session.flush()
    return handovers


def list_handovers(
    session: Session,
    *,
    partner_id: uuid.UUID,
    direction: str | None,
    status: str | None,
    after: tuple[datetime, uuid.UUID] | None,
    limit: int,
) -> list[Handover]:
    if direction == "incoming":
        mine: ColumnElement[bool] = Handover.to_partner_id == partner_id
    elif direction == "outgoing":
        mine = Handover.from_partner_id == partner_id
    else:
        mine = or_(Handover.to_partner_id == partner_id, Handover.from_partner_id == partner_id)
    query = select(Handover).where(mine)
    if status is not None:
        query = query.where(Handover.status == status)
    keyset = _after(Handover.requested_at, Handover.id, after)
    if keyset is not None:
        query = query.where(keyset)
    return list(session.scalars(query.order_by(Handover.requested_at.desc(), Handover.id.desc()).limit(limit)))
