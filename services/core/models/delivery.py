# SPDX-License-Identifier: EUPL-1.2
"""Webhook deliveries and their attempts (interface.md, "Webhooks"), and the per-youth event sequence.

A delivery is written in the transaction that produced its event ("nothing lost"); its `id` is the CloudEvent
`id` and the `webhook-id`, stable across retries. Retries are scheduled here (`next_attempt_at`), not as
Celery ETA tasks.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column

from services.core.models.base import Base, BigIntId, JsonType

RESPONSE_EXCERPT_CHARS = 4096


class Delivery(Base):
    """One event for one subscription: pending until it succeeds, fails for good or is skipped."""

    __tablename__ = "deliveries"
    __table_args__ = (
        Index(
            "ix_deliveries_due",
            "next_attempt_at",
            postgresql_where=text("status = 'pending'"),
            sqlite_where=text("status = 'pending'"),
        ),
        Index(None, "subscription_id", "created_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    subscription_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("subscriptions.id", ondelete="CASCADE"))
    partner_id: Mapped[uuid.UUID]
    youth_id: Mapped[uuid.UUID | None]
    type: Mapped[str] = mapped_column(String(100))
    # The full CloudEvent as sent.
    payload: Mapped[dict[str, Any]] = mapped_column(JsonType)
    status: Mapped[str] = mapped_column(String(16))  # pending | succeeded | failed | skipped
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    # Attempts since the delivery was (re)started: a replay starts the retry schedule over, `attempts` counts all.
    round_attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    next_attempt_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    last_attempt_at: Mapped[datetime | None]


class DeliveryAttempt(Base):
    """One HTTP attempt of a delivery: when, how long, the answer or why there was none."""

    __tablename__ = "delivery_attempts"

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=True)
    delivery_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("deliveries.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime]
    duration_ms: Mapped[int] = mapped_column(Integer)
    http_status: Mapped[int | None] = mapped_column(Integer)
    error_class: Mapped[str | None] = mapped_column(String(32))
    response_excerpt: Mapped[str | None] = mapped_column(String(RESPONSE_EXCERPT_CHARS))


class YouthEventSequence(Base):
    """The last CloudEvent `sequence` number given out for a youth (a per-youth counter, interface.md)."""

    __tablename__ = "youth_event_sequences"

    youth_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("youths.id", ondelete="CASCADE"), primary_key=True)
    last_sequence: Mapped[int] = mapped_column(BigInteger)
