# SPDX-License-Identifier: EUPL-1.2
"""All SQL of the subscriptions API (interface.md, "Webhooks"): a partner's subscriptions, newest first."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import and_, delete, or_, select
from sqlalchemy.orm import Session

from services.core.models import Subscription

Keyset = tuple[datetime, uuid.UUID]


def get_own(session: Session, partner_id: uuid.UUID, subscription_id: uuid.UUID) -> Subscription | None:
    """The subscription if it belongs to the partner: another partner's is as absent as an unknown id."""
    return session.scalars(
        select(Subscription).where(Subscription.id == subscription_id, Subscription.partner_id == partner_id)
    ).one_or_none()


def list_own(session: Session, partner_id: uuid.UUID, after: Keyset | None, limit: int) -> list[Subscription]:
    """One page plus one row (the caller uses it to know whether there is a next page)."""
    query = select(Subscription).where(Subscription.partner_id == partner_id)
    if after is not None:
        moment, last_id = after
        query = query.where(
            or_(Subscription.created_at < moment, and_(Subscription.created_at == moment, Subscription.id < last_id))
        )
    query = query.order_by(Subscription.created_at.desc(), Subscription.id.desc()).limit(limit + 1)
    return list(session.scalars(query))


def remove(session: Session, subscription: Subscription) -> None:
    session.execute(delete(Subscription).where(Subscription.id == subscription.id))
