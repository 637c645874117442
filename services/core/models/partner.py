# SPDX-License-Identifier: EUPL-1.2
"""Partner organisations, their roles and BRINs, and their API keys."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from services.core.models.base import Base, JsonType


class Partner(Base):
    __tablename__ = "partners"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    name: Mapped[str] = mapped_column(String(200))
    oin: Mapped[str | None] = mapped_column(String(20), unique=True)
    kvk: Mapped[str | None] = mapped_column(String(8), unique=True)
    created_at: Mapped[datetime]

    roles: Mapped[list[PartnerRole]] = relationship(
        lazy="raise", cascade="all, delete-orphan", order_by="PartnerRole.role"
    )
    brins: Mapped[list[PartnerBrin]] = relationship(
        lazy="raise", cascade="all, delete-orphan", order_by="PartnerBrin.brin"
    )


class PartnerRole(Base):
    __tablename__ = "partner_roles"
    __table_args__ = (Index(None, "role", "partner_id"),)

    partner_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("partners.id", ondelete="CASCADE"), primary_key=True)
    role: Mapped[str] = mapped_column(String(32), primary_key=True)


class PartnerBrin(Base):
    """A BRIN code a school administers, with the school-holiday region its calendar follows."""

    __tablename__ = "partner_brins"

    brin: Mapped[str] = mapped_column(String(4), primary_key=True)
    partner_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("partners.id", ondelete="CASCADE"), index=True)
    holiday_region: Mapped[str] = mapped_column(String(8))


class ApiKey(Base):
    """An API key. Only the SHA-256 of the plain key is stored: keys are 256-bit random, so no salt is needed."""

    __tablename__ = "api_keys"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    partner_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("partners.id", ondelete="CASCADE"), index=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    scopes: Mapped[list[str]] = mapped_column(JsonType)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
    last_used_at: Mapped[datetime | None]

    def as_dict(self) -> dict[str, Any]:
        return {"id": str(self.id), "partnerId": str(self.partner_id), "scopes": list(self.scopes)}
