# SPDX-License-Identifier: EUPL-1.2
"""All SQL of webhook deliveries: writing them, claiming due ones, recording attempts, the delivery log."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Table, and_, bindparam, insert, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from services.core import repository as partners
from services.core.models import Accountability, Delivery, DeliveryAttempt, Signal, Subscription, YouthEventSequence

Keyset = tuple[datetime, uuid.UUID]


# -- writing deliveries -----------------------------------------------------------------------------------------
def subscriptions_of(session: Session, partner_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, list[Subscription]]:
    found: dict[uuid.UUID, list[Subscription]] = defaultdict(list)
    wanted = list(partner_ids)
    if not wanted:
        return found
    query = select(Subscription).where(Subscription.partner_id.in_(wanted)).order_by(Subscription.id)
    for subscription in session.scalars(query):
        found[subscription.partner_id].append(subscription)
    return found


def reserve_sequences(session: Session, counts: dict[uuid.UUID, int]) -> dict[uuid.UUID, int]:
    """Reserve `count` sequence numbers per youth; the first of each youth's range. One statement for all youths
    (rows in id order, so two transactions reserving for the same youths lock them in the same order)."""
    if not counts:
        return {}
    upsert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    rows = [{"youth_id": youth_id, "last_sequence": count} for youth_id, count in sorted(counts.items())]
    values = upsert(YouthEventSequence).values(rows)
    statement = values.on_conflict_do_update(
        index_elements=[YouthEventSequence.youth_id],
        set_={"last_sequence": YouthEventSequence.last_sequence + values.excluded.last_sequence},
    ).returning(YouthEventSequence.youth_id, YouthEventSequence.last_sequence)
    return {youth_id: last - counts[youth_id] + 1 for youth_id, last in session.execute(statement)}


def insert_deliveries(session: Session, rows: list[dict[str, Any]]) -> None:
    if rows:
        session.execute(insert(Delivery), rows)


def accountable_partners(session: Session, youth_ids: Collection[uuid.UUID]) -> dict[uuid.UUID, uuid.UUID]:
    if not youth_ids:
        return {}
    rows = session.execute(
        select(Accountability.youth_id, Accountability.partner_id).where(
            Accountability.youth_id.in_(list(youth_ids)), Accountability.until.is_(None)
        )
    )
    return {youth_id: partner_id for youth_id, partner_id in rows}


def municipality(session: Session) -> uuid.UUID | None:
    """The ketenregisseur: the (first registered) partner holding `municipality`."""
    holders = partners.partners_holding_role(session, "municipality")
    return holders[0] if holders else None


def signal_rows(session: Session, signal_ids: Collection[uuid.UUID]) -> list[dict[str, Any]]:
    if not signal_ids:
        return []
    columns = (Signal.id, Signal.youth_id, Signal.type, Signal.severity, Signal.status, Signal.reasons)
    query = select(*columns, Signal.routed_to, Signal.escalated).where(Signal.id.in_(list(signal_ids)))
    return [dict(row._mapping) for row in session.execute(query.order_by(Signal.created_at, Signal.id))]


# -- the dispatcher -----------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Claimed:
    """A delivery leased to this worker, with what it takes to send it."""

    id: uuid.UUID
    payload: dict[str, Any]
    attempts: int
    round_attempts: int
    subscription_id: uuid.UUID
    url: str
    secret: bytes
    previous_secret: bytes | None
    previous_secret_expires_at: datetime | None
    auth_token: bytes | None


def claim_due(session: Session, now: datetime, lease_until: datetime, limit: int) -> list[Claimed]:
    """Due pending deliveries of active subscriptions, oldest due first, leased until `lease_until` (Postgres
    skips the rows another worker holds, so two dispatchers never claim the same delivery)."""
    ids = list(
        session.scalars(
            select(Delivery.id)
            .where(Delivery.status == "pending", Delivery.next_attempt_at <= now)
            .order_by(Delivery.next_attempt_at)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
    )
    if not ids:
        return []
    session.execute(update(Delivery).where(Delivery.id.in_(ids)).values(next_attempt_at=lease_until))
    query = (
        select(
            Delivery.id,
            Delivery.payload,
            Delivery.attempts,
            Delivery.round_attempts,
            Subscription.id.label("subscription_id"),
            Subscription.url,
            Subscription.secret,
            Subscription.previous_secret,
            Subscription.previous_secret_expires_at,
            Subscription.auth_token,
            Subscription.status,
        )
        .join(Subscription, Subscription.id == Delivery.subscription_id)
        .where(Delivery.id.in_(ids))
    )
    claimed, inactive = [], []
    for row in session.execute(query):
        if row.status != "active":
            inactive.append(row.id)
            continue
        values = dict(row._mapping)
        del values["status"]
        claimed.append(Claimed(**values))
    if inactive:
        # Disabled after the delivery was written: kept as `skipped`, replayable once it is active again.
        session.execute(
            update(Delivery).where(Delivery.id.in_(inactive)).values(status="skipped", next_attempt_at=None)
        )
    return claimed


def insert_attempts(session: Session, rows: list[dict[str, Any]]) -> None:
    if rows:
        session.execute(insert(DeliveryAttempt), rows)


def update_outcomes(session: Session, rows: list[dict[str, Any]]) -> None:
    """Each row: `b_id` and the delivery's new status, counters and schedule. A delivery no longer pending (a
    disabled subscription skipped it meanwhile) keeps what it has."""
    if not rows:
        return
    table = Delivery.__table__
    assert isinstance(table, Table)
    statement = (
        update(table)
        .where(table.c.id == bindparam("b_id"), table.c.status == "pending")
        .values(
            status=bindparam("status"),
            attempts=bindparam("attempts"),
            round_attempts=bindparam("round_attempts"),
            next_attempt_at=bindparam("next_attempt_at"),
            last_attempt_at=bindparam("last_attempt_at"),
        )
    )
    session.connection().execute(statement, rows)


def lock_subscriptions(session: Session, subscription_ids: Collection[uuid.UUID]) -> list[Subscription]:
    query = select(Subscription).where(Subscription.id.in_(list(subscription_ids))).order_by(Subscription.id)
    return list(session.scalars(query.with_for_update()))


def skip_pending(session: Session, subscription_id: uuid.UUID) -> None:
    """A disabled subscription's pending deliveries are kept as `skipped` (replayable with `recover`)."""
    session.execute(
        update(Delivery)
        .where(Delivery.subscription_id == subscription_id, Delivery.status == "pending")
        .values(status="skipped", next_attempt_at=None)
    )


# -- the delivery log ---------------------------------------------------------------------------------------------
def list_deliveries(
    session: Session,
    subscription_id: uuid.UUID,
    *,
    status: str | None,
    type_: str | None,
    since: datetime | None,
    until: datetime | None,
    after: Keyset | None,
    limit: int,
) -> list[Delivery]:
    """Newest first, keyset pages of `limit` rows (the caller asks one more to know whether a page follows)."""
    query = select(Delivery).where(Delivery.subscription_id == subscription_id)
    if status is not None:
        query = query.where(Delivery.status == status)
    if type_ is not None:
        query = query.where(Delivery.type == type_)
    if since is not None:
        query = query.where(Delivery.created_at >= since)
    if until is not None:
        query = query.where(Delivery.created_at < until)
    if after is not None:
        moment, last_id = after
        query = query.where(
            or_(Delivery.created_at < moment, and_(Delivery.created_at == moment, Delivery.id < last_id))
        )
    return list(session.scalars(query.order_by(Delivery.created_at.desc(), Delivery.id.desc()).limit(limit)))


def attempts_of(session: Session, delivery_ids: Collection[uuid.UUID]) -> dict[uuid.UUID, list[DeliveryAttempt]]:
    found: dict[uuid.UUID, list[DeliveryAttempt]] = defaultdict(list)
    if not delivery_ids:
        return found
    query = select(DeliveryAttempt).where(DeliveryAttempt.delivery_id.in_(list(delivery_ids)))
    for attempt in session.scalars(query.order_by(DeliveryAttempt.at, DeliveryAttempt.id)):
        found[attempt.delivery_id].append(attempt)
    return found


def get_delivery(session: Session, subscription_id: uuid.UUID, delivery_id: uuid.UUID) -> Delivery | None:
    query = select(Delivery).where(Delivery.id == delivery_id, Delivery.subscription_id == subscription_id)
    return session.scalars(query.with_for_update()).one_or_none()


def restart(session: Session, delivery_ids: Collection[uuid.UUID], now: datetime) -> None:
    """Pending again and due now, the retry schedule from its start; the id (`webhook-id`) stays."""
    if delivery_ids:
        session.execute(
            update(Delivery)
            .where(Delivery.id.in_(list(delivery_ids)))
            .values(status="pending", round_attempts=0, next_attempt_at=now)
        )


def failed_or_skipped(
    session: Session, subscription_id: uuid.UUID, since: datetime, until: datetime
) -> list[uuid.UUID]:
    query = select(Delivery.id).where(
        Delivery.subscription_id == subscription_id,
        Delivery.status.in_(("failed", "skipped")),
        Delivery.created_at >= since,
        Delivery.created_at < until,
    )
    return list(session.scalars(query.with_for_update()))
