# SPDX-License-Identifier: EUPL-1.2
"""Webhook subscriptions of a partner (spec/interface.md, "Webhooks").

Secrets and the auth token are stored encrypted (`services.core.identity.encrypt`): the dispatcher needs them
in clear to sign and authenticate, so a hash would not do, and a database dump alone must not reveal them.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from services.core.models.base import Base, JsonType


class Subscription(Base):
    """Where a partner wants its events delivered; `previous_secret` still signs until its expiry (rotation)."""

    __tablename__ = "subscriptions"
    # Lists are per partner, newest first (the cursor is (created_at, id)).
    __table_args__ = (Index(None, "partner_id", "created_at"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    partner_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("partners.id", ondelete="CASCADE"))
    url: Mapped[str] = mapped_column(String(2000))
    # Exact CloudEvent types or prefixes ending in `*`.
    types: Mapped[list[str]] = mapped_column(JsonType)
    description: Mapped[str | None] = mapped_column(String(500))
    status: Mapped[str] = mapped_column(String(16))  # active | disabled
    disabled_reason: Mapped[str | None] = mapped_column(String(16))  # gone | failing | null
    auth_token: Mapped[bytes | None] = mapped_column(LargeBinary)
    secret: Mapped[bytes] = mapped_column(LargeBinary)
    previous_secret: Mapped[bytes | None] = mapped_column(LargeBinary)
    previous_secret_expires_at: Mapped[datetime | None]
    # The first failed attempt since the last success: failing for 5 days disables the subscription (`failing`).
    failing_since: Mapped[datetime | None]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
