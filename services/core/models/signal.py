# SPDX-License-Identifier: EUPL-1.2
"""Signals raised by the rules, the events they rest on, and their status history."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from services.core.models.base import Base, BigIntId, JsonType


class Signal(Base):
    """One early warning for one youth, routed to one partner.

    `(youth_id, type, dedupe_key)` is unique: a dedupe key raises at most one signal, ever (domain.md).
    `reasons` is `[{code, facts, domain}]`; `domain` marks reasons drawn from care, a transition plan or
    life-domain scores, whose facts only some roles may see.
    """

    __tablename__ = "signals"
    __table_args__ = (
        UniqueConstraint("youth_id", "type", "dedupe_key"),
        Index(None, "routed_to", "created_at"),
        Index(
            "ix_signals_active",
            "youth_id",
            postgresql_where=text("status IN ('open', 'acknowledged')"),
            sqlite_where=text("status IN ('open', 'acknowledged')"),
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    youth_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("youths.id", ondelete="CASCADE"))
    type: Mapped[str] = mapped_column(String(32))
    severity: Mapped[str] = mapped_column(String(8))
    status: Mapped[str] = mapped_column(String(16))
    dedupe_key: Mapped[str] = mapped_column(String(64))
    raised_on: Mapped[date]
    deadline: Mapped[date]
    escalated: Mapped[bool] = mapped_column(Boolean, default=False)
    escalated_at: Mapped[datetime | None]
    routed_to: Mapped[uuid.UUID] = mapped_column(ForeignKey("partners.id"))
    reasons: Mapped[list[dict[str, Any]]] = mapped_column(JsonType)
    created_at: Mapped[datetime]
    acknowledged_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    close_reason_code: Mapped[str | None] = mapped_column(String(24))
    close_note: Mapped[str | None] = mapped_column(String(500))


class SignalEvidence(Base):
    """The events a signal rests on: a retraction dismisses signals that rested only on retracted events."""

    __tablename__ = "signal_evidence"

    signal_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("signals.id", ondelete="CASCADE"), primary_key=True)
    event_seq: Mapped[int] = mapped_column(
        BigIntId, ForeignKey("events.seq", ondelete="CASCADE"), primary_key=True, index=True
    )


class SignalChange(Base):
    """The history of a signal: raised, status changes, escalation."""

    __tablename__ = "signal_changes"

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=True)
    signal_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("signals.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime]
    kind: Mapped[str] = mapped_column(String(16))  # raised | status | escalated
    status: Mapped[str | None] = mapped_column(String(16))
    partner_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("partners.id"))
    reason_code: Mapped[str | None] = mapped_column(String(24))
    note: Mapped[str | None] = mapped_column(String(500))
