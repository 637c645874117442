# SPDX-License-Identifier: EUPL-1.2
"""Deliveries written in the transaction that made the change they report ("nothing lost", design.md).

Each change becomes one CloudEvent (interface.md, "Webhooks") with a per-youth `sequence`, and one `Delivery`
per matching subscription of the partners that may see it (`Change.audience`, decided in `events.py`). A disabled
subscription's delivery is kept as `skipped` (replayable). The dispatcher is sent after commit, never before.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from services.core.clock import utcnow
from services.core.dispatch import enqueue_after_commit
from services.core.settings import get_settings
from services.signals.webhooks import repository_deliveries as repository
from services.signals.webhooks.event_types import subscribed

DELIVER_DUE = "signals.deliver_due"
SEQUENCE_DIGITS = 20


@dataclass(frozen=True)
class Change:
    """One thing that happened to one youth, for the partners in `audience` (each receives it once)."""

    type: str
    youth_id: uuid.UUID
    at: datetime
    audience: tuple[uuid.UUID, ...]
    # interface.md: {signalId, youthId, signalType, severity, status, reasonCodes, handoverId, partnerId}, absent
    # keys omitted. Never facts, never identifiers.
    data: dict[str, Any]
    # The resource's path under GLANSRIJK_PUBLIC_BASE_URL.
    path: str


def source() -> str:
    return f"urn:nld:oin:{get_settings().oin}:systeem:glansrijk"


def _iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def cloud_event(change: Change, event_id: uuid.UUID, sequence: int) -> dict[str, Any]:
    base = get_settings().public_base_url.rstrip("/")
    return {
        "specversion": "1.0",
        "id": str(event_id),
        "type": change.type,
        "source": source(),
        "subject": str(change.youth_id),
        "time": _iso(change.at),
        "sequence": str(sequence).zfill(SEQUENCE_DIGITS),
        "datacontenttype": "application/json",
        "dataref": base + change.path,
        "data": change.data,
    }


def enqueue(session: Session, changes: Sequence[Change]) -> int:
    """One delivery per matching subscription of each change's audience, in the caller's transaction; the
    dispatcher is sent after commit. Returns the number of pending deliveries written."""
    if not changes:
        return 0
    subscriptions = repository.subscriptions_of(session, {p for change in changes for p in change.audience})
    wanted = []  # (change, the subscriptions that receive it), changes no one receives left out
    for change in changes:
        # An audience names each partner once (events.py), so no subscription is listed twice.
        receivers = [
            subscription
            for partner in change.audience
            for subscription in subscriptions.get(partner, [])
            if subscribed(subscription.types, change.type)
        ]
        if receivers:
            wanted.append((change, receivers))
    if not wanted:
        return 0
    # One sequence number per change, shared by its deliveries to several subscriptions.
    counts: dict[uuid.UUID, int] = defaultdict(int)
    for change, _ in wanted:
        counts[change.youth_id] += 1
    following = repository.reserve_sequences(session, counts)
    # Due at once by the wall clock: a change stamped with an evaluation date (`scan --date`) is still new news.
    written = utcnow()
    rows: list[dict[str, Any]] = []
    for change, subs in wanted:
        sequence = following[change.youth_id]
        following[change.youth_id] += 1
        for subscription in subs:
            # Each delivery is its own CloudEvent: its id is the `webhook-id` the subscriber deduplicates on.
            event_id = uuid.uuid4()
            active = subscription.status == "active"
            rows.append(
                {
                    "id": event_id,
                    "subscription_id": subscription.id,
                    "partner_id": subscription.partner_id,
                    "youth_id": change.youth_id,
                    "type": change.type,
                    "payload": cloud_event(change, event_id, sequence),
                    "status": "pending" if active else "skipped",
                    "attempts": 0,
                    "round_attempts": 0,
                    "next_attempt_at": written if active else None,
                    "created_at": written,
                    "last_attempt_at": None,
                }
            )
    repository.insert_deliveries(session, rows)
    pending = sum(1 for row in rows if row["status"] == "pending")
    if pending:
        enqueue_after_commit(session, DELIVER_DUE)
    return pending
