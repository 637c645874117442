# SPDX-License-Identifier: EUPL-1.2
"""Deliveries written in the transaction that raised their event ("nothing lost", design.md).

Each event becomes one CloudEvent (interface.md, "Webhooks") and one `Delivery` per matching subscription of
the partners that may see it: the partner a signal is routed to and the youth's accountable partner. A disabled
subscription's delivery is kept as `skipped` (replayable). The dispatcher is sent after commit, never before.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from services.core.dispatch import enqueue_after_commit
from services.core.models import Accountability, Delivery, Subscription, YouthEventSequence
from services.core.settings import get_settings
from services.signals.webhooks.event_types import subscribed

DELIVER_DUE = "signals.deliver_due"
SIGNAL_RAISED = "nl.glansrijk.signal.raised"
SEQUENCE_DIGITS = 20


def source() -> str:
    return f"urn:nld:oin:{get_settings().oin}:systeem:glansrijk"


def _iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def next_sequences(session: Session, counts: dict[uuid.UUID, int]) -> dict[uuid.UUID, int]:
    """Reserve `count` sequence numbers per youth; returns the first of each youth's reserved range."""
    first: dict[uuid.UUID, int] = {}
    dialect = session.get_bind().dialect.name
    upsert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    for youth_id, count in sorted(counts.items()):
        statement = (
            upsert(YouthEventSequence)
            .values(youth_id=youth_id, last_sequence=count)
            .on_conflict_do_update(
                index_elements=[YouthEventSequence.youth_id],
                set_={"last_sequence": YouthEventSequence.last_sequence + count},
            )
            .returning(YouthEventSequence.last_sequence)
        )
        last = session.execute(statement).scalar_one()
        first[youth_id] = last - count + 1
    return first


def _accountable(session: Session, youth_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, uuid.UUID]:
    rows = session.execute(
        select(Accountability.youth_id, Accountability.partner_id).where(
            Accountability.youth_id.in_(list(youth_ids)), Accountability.until.is_(None)
        )
    )
    return {youth_id: partner_id for youth_id, partner_id in rows}


def _subscriptions(session: Session, partner_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, list[Subscription]]:
    found: dict[uuid.UUID, list[Subscription]] = defaultdict(list)
    query = select(Subscription).where(Subscription.partner_id.in_(list(partner_ids))).order_by(Subscription.id)
    for subscription in session.scalars(query):
        found[subscription.partner_id].append(subscription)
    return found


def _signal_event(row: dict[str, Any], sequence: int) -> dict[str, Any]:
    signal_id, youth_id = str(row["id"]), str(row["youth_id"])
    base = get_settings().public_base_url.rstrip("/")
    return {
        "specversion": "1.0",
        "id": str(uuid.uuid4()),
        "type": SIGNAL_RAISED,
        "source": source(),
        "subject": youth_id,
        "time": _iso(row["created_at"]),
        "sequence": str(sequence).zfill(SEQUENCE_DIGITS),
        "datacontenttype": "application/json",
        "dataref": f"{base}/signals/v1/signals/{signal_id}",
        "data": {
            "signalId": signal_id,
            "youthId": youth_id,
            "signalType": row["type"],
            "severity": row["severity"],
            "status": row["status"],
            "reasonCodes": [reason["code"] for reason in row["reasons"]],
        },
    }


def enqueue_signal_raised(session: Session, signal_rows: Sequence[dict[str, Any]]) -> int:
    """One delivery per matching subscription of the routed and the accountable partner of each new signal,
    in the caller's transaction; the dispatcher is sent after commit. Returns the number of pending ones."""
    if not signal_rows:
        return 0
    accountable = _accountable(session, {row["youth_id"] for row in signal_rows})
    audience = {
        row["id"]: list(dict.fromkeys(p for p in (row["routed_to"], accountable.get(row["youth_id"])) if p))
        for row in signal_rows
    }
    subscriptions = _subscriptions(session, {p for partners in audience.values() for p in partners})
    rows: list[dict[str, Any]] = []
    wanted = [
        (row, subscription)
        for row in signal_rows
        for partner in audience[row["id"]]
        for subscription in subscriptions.get(partner, [])
        if subscribed(subscription.types, SIGNAL_RAISED)
    ]
    # One sequence number per event (signal), shared by its deliveries to several subscriptions.
    events = {row["id"]: row for row, _ in wanted}
    counts: dict[uuid.UUID, int] = defaultdict(int)
    for row in events.values():
        counts[row["youth_id"]] += 1
    firsts = next_sequences(session, counts)
    sequence: dict[uuid.UUID, int] = {}
    for signal_id, row in events.items():
        sequence[signal_id] = firsts[row["youth_id"]]
        firsts[row["youth_id"]] += 1
    for row, subscription in wanted:
        event = _signal_event(row, sequence[row["id"]])
        active = subscription.status == "active"
        rows.append(
            {
                "id": uuid.UUID(event["id"]),
                "subscription_id": subscription.id,
                "partner_id": subscription.partner_id,
                "youth_id": row["youth_id"],
                "type": SIGNAL_RAISED,
                "payload": event,
                "status": "pending" if active else "skipped",
                "attempts": 0,
                "next_attempt_at": row["created_at"] if active else None,
                "created_at": row["created_at"],
                "last_attempt_at": None,
            }
        )
    if rows:
        session.execute(insert(Delivery), rows)
    pending = sum(1 for row in rows if row["status"] == "pending")
    if pending:
        enqueue_after_commit(session, DELIVER_DUE)
    return pending
