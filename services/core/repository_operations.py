# SPDX-License-Identifier: EUPL-1.2
"""The SQL behind `glansrijk status`: how far evaluation and webhook delivery lag behind, read-only."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from services.core.models import Delivery, EventBatch, Subscription


@dataclass(frozen=True)
class Backlog:
    count: int
    oldest: datetime | None


def unevaluated_requests(session: Session) -> Backlog:
    """Accepted requests whose evaluation is not committed (the outbox)."""
    row = session.execute(
        select(func.count(), func.min(EventBatch.received_at)).where(EventBatch.evaluated_at.is_(None))
    ).one()
    return Backlog(int(row[0]), row[1])


def due_deliveries(session: Session, now: datetime) -> Backlog:
    """Pending deliveries whose (next) attempt is due: what the dispatchers have not got to yet."""
    row = session.execute(
        select(func.count(), func.min(Delivery.next_attempt_at)).where(
            Delivery.status == "pending", Delivery.next_attempt_at <= now
        )
    ).one()
    return Backlog(int(row[0]), row[1])


def deliveries_by_status_since(session: Session, since: datetime) -> dict[str, int]:
    rows = session.execute(
        select(Delivery.status, func.count()).where(Delivery.created_at >= since).group_by(Delivery.status)
    )
    return {status: int(count) for status, count in rows}


def subscriptions_by_state(session: Session) -> dict[str, int]:
    """Active, failing (an unanswered run of failures), and disabled per reason."""
    found: dict[str, int] = {}
    for status, reason, failing in session.execute(
        select(Subscription.status, Subscription.disabled_reason, Subscription.failing_since.is_not(None))
    ):
        key = f"disabled-{reason or 'by-partner'}" if status == "disabled" else "failing" if failing else "active"
        found[key] = found.get(key, 0) + 1
    return found


def day_ago(now: datetime) -> datetime:
    return now - timedelta(days=1)
