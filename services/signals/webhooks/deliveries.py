# SPDX-License-Identifier: EUPL-1.2
"""The delivery log of a subscription, single replay and `recover` (interface.md, "Webhooks"). Never commits.

A partner sees only the deliveries of its own subscriptions (any other id is a 404). Replay and recover send
a delivery again with its original id, so the subscriber's `webhook-id` deduplication still holds, and start
the retry schedule over.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy.orm import Session

from services.core.auth import Caller
from services.core.clock import utcnow
from services.core.dispatch import enqueue_after_commit
from services.core.models import Delivery, Subscription
from services.core.problems import InvalidParam, Problem, bad_request
from services.signals.schemas_deliveries import DeliveryAttemptRead, DeliveryRead, RecoverCreate, RecoverRead
from services.signals.webhooks import repository_deliveries as repository
from services.signals.webhooks import subscriptions
from services.signals.webhooks.outbox import DELIVER_DUE
from services.signals.webhooks.repository_deliveries import Keyset

NEEDS_OFFSET = "Needs an offset (RFC 3339, e.g. 2026-12-01T08:00:00Z)."


def _naive(moment: datetime | None) -> bool:
    return moment is not None and moment.tzinfo is None


def _reads(session: Session, rows: list[Delivery]) -> list[DeliveryRead]:
    attempts = repository.attempts_of(session, [row.id for row in rows])
    return [
        DeliveryRead(
            id=row.id,
            event_id=row.id,
            type=row.type,
            status=row.status,
            created_at=row.created_at,
            next_attempt_at=row.next_attempt_at if row.status == "pending" else None,
            attempts=[DeliveryAttemptRead.model_validate(a, from_attributes=True) for a in attempts[row.id]],
        )
        for row in rows
    ]


def list_deliveries(
    session: Session,
    caller: Caller,
    subscription_id: str,
    *,
    status: str | None,
    type_: str | None,
    since: datetime | None,
    until: datetime | None,
    after: Keyset | None,
    limit: int,
) -> tuple[list[DeliveryRead], Keyset | None]:
    naive = [InvalidParam(name, NEEDS_OFFSET) for name, value in (("since", since), ("until", until)) if _naive(value)]
    if naive:
        raise bad_request(naive)
    subscription = subscriptions.own(session, caller, subscription_id)
    rows = repository.list_deliveries(
        session,
        subscription.id,
        status=status,
        type_=type_,
        since=since,
        until=until,
        after=after,
        limit=limit + 1,
    )
    page = rows[:limit]
    following = (page[-1].created_at, page[-1].id) if len(rows) > limit else None
    return _reads(session, page), following


def _active(subscription: Subscription) -> None:
    if subscription.status != "active":
        raise Problem(409, "The subscription is disabled: re-enable it first (PATCH with status active).")


def replay(session: Session, caller: Caller, subscription_id: str, delivery_id: str) -> DeliveryRead:
    """Send one delivery again, whatever became of it, unless it is still on its way (409)."""
    subscription = subscriptions.own(session, caller, subscription_id)
    try:
        key = uuid.UUID(delivery_id)
    except ValueError:
        raise Problem(404, "No delivery with this id in this subscription.") from None
    delivery = repository.get_delivery(session, subscription.id, key)
    if delivery is None:
        raise Problem(404, "No delivery with this id in this subscription.")
    _active(subscription)
    if delivery.status == "pending":
        raise Problem(409, "This delivery is still pending: it is sent (again) on its schedule.")
    repository.restart(session, [delivery.id], utcnow())
    enqueue_after_commit(session, DELIVER_DUE)
    session.refresh(delivery)
    return _reads(session, [delivery])[0]


def recover(session: Session, caller: Caller, subscription_id: str, body: RecoverCreate) -> RecoverRead:
    """Send again every failed or skipped delivery written in [since, until)."""
    missing = [
        InvalidParam(f"/{name}", NEEDS_OFFSET)
        for name, value in (("since", body.since), ("until", body.until))
        if _naive(value)
    ]
    if missing:
        raise bad_request(missing)
    if body.until <= body.since:
        raise bad_request([InvalidParam("/until", "Must be after `since`.")])
    subscription = subscriptions.own(session, caller, subscription_id)
    _active(subscription)
    ids = repository.failed_or_skipped(session, subscription.id, body.since, body.until)
    repository.restart(session, ids, utcnow())
    if ids:
        enqueue_after_commit(session, DELIVER_DUE)
    return RecoverRead(count=len(ids))
