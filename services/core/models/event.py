# SPDX-License-Identifier: EUPL-1.2
"""The event store and its outbox. A stored event carries no identifier: `person` is resolved at the door."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from services.core.models.base import Base, BigIntId, JsonType


class EventBatch(Base):
    """One accepted request: the outbox row that drives evaluation (a stopped broker only delays it)."""

    __tablename__ = "event_batches"
    __table_args__ = (
        Index(
            "ix_event_batches_unevaluated",
            "id",
            postgresql_where=text("evaluated_at IS NULL"),
            sqlite_where=text("evaluated_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=True)
    partner_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("partners.id"), index=True)
    received_at: Mapped[datetime]
    event_count: Mapped[int]
    raise_signals: Mapped[bool] = mapped_column(Boolean)
    evaluated_at: Mapped[datetime | None]


class Event(Base):
    __tablename__ = "events"
    __table_args__ = (UniqueConstraint("source", "event_id"),)

    seq: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=True)
    source: Mapped[str] = mapped_column(String(300))
    event_id: Mapped[str] = mapped_column(String(200))
    type: Mapped[str] = mapped_column(String(80))
    time: Mapped[datetime]
    partner_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("partners.id"), index=True)
    youth_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("youths.id", ondelete="CASCADE"), index=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("event_batches.id"), index=True)
    received_at: Mapped[datetime]
    # `data` without `person`; the birth date the partner sent is kept beside it for rebuilds.
    data: Mapped[dict[str, Any]] = mapped_column(JsonType)
    birth_date: Mapped[date | None]
    retracted: Mapped[bool] = mapped_column(Boolean, default=False)


class Retraction(Base):
    """`event.retracted` facts, kept apart so that a retraction arriving before its event still wins."""

    __tablename__ = "retractions"

    source: Mapped[str] = mapped_column(String(300), primary_key=True)
    retracted_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    event_seq: Mapped[int] = mapped_column(ForeignKey("events.seq", ondelete="CASCADE"))
