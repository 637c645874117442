# SPDX-License-Identifier: EUPL-1.2
"""Accountability (regie): one accountable partner per youth at a time, with history, and handovers."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column

from services.core.models.base import Base, BigIntId


class Accountability(Base):
    """A period in which a partner is a youth's regiehouder; `until` is null for the current one.

    A partial unique index lets the database itself guarantee at most one current partner per youth.
    """

    __tablename__ = "accountabilities"
    __table_args__ = (
        Index(
            "uq_accountabilities_current",
            "youth_id",
            unique=True,
            postgresql_where=text("until IS NULL"),
            sqlite_where=text("until IS NULL"),
        ),
        Index(None, "partner_id", "youth_id"),
    )

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=True)
    youth_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("youths.id", ondelete="CASCADE"))
    partner_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("partners.id"))
    since: Mapped[datetime]
    until: Mapped[datetime | None]
    # first-signal | handover | override
    cause: Mapped[str] = mapped_column(String(16))
    handover_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("handovers.id"))


class Handover(Base):
    """A request by the accountable partner to hand a youth to another; nothing changes until accepted."""

    __tablename__ = "handovers"
    __table_args__ = (
        Index(
            "ix_handovers_pending",
            "requested_at",
            postgresql_where=text("status = 'pending'"),
            sqlite_where=text("status = 'pending'"),
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    youth_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("youths.id", ondelete="CASCADE"), index=True)
    from_partner_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("partners.id"), index=True)
    to_partner_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("partners.id"), index=True)
    reason: Mapped[str] = mapped_column(String(500))
    status: Mapped[str] = mapped_column(String(16))  # pending | accepted | declined
    requested_at: Mapped[datetime]
    answered_at: Mapped[datetime | None]
    answer_reason: Mapped[str | None] = mapped_column(String(500))
