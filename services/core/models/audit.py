# SPDX-License-Identifier: EUPL-1.2
"""The audit log: every read or change of one youth's data. Append-only."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Index, String
from sqlalchemy.orm import Mapped, mapped_column

from services.core.models.base import Base, BigIntId


class AuditEntry(Base):
    """Who (key, partner) did what (action, endpoint) to which youth, when and why (the stated purpose).

    No foreign keys: the log must outlive an erased youth or a removed key, and it names only internal ids.
    """

    __tablename__ = "audit_log"
    __table_args__ = (Index(None, "youth_id", "at"),)

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=True)
    at: Mapped[datetime]
    key_id: Mapped[uuid.UUID | None]
    partner_id: Mapped[uuid.UUID | None]
    youth_id: Mapped[uuid.UUID | None]
    action: Mapped[str] = mapped_column(String(16))  # read | change | export | erase
    endpoint: Mapped[str] = mapped_column(String(200))
    purpose: Mapped[str | None] = mapped_column(String(200))
