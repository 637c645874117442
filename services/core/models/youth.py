# SPDX-License-Identifier: EUPL-1.2
"""The youth: a random internal id found through a keyed pseudonym; the identifier itself only encrypted."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from services.core.models.base import Base


class Youth(Base):
    __tablename__ = "youths"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    # HMAC-SHA256 of "<kind>:<identifier>" under GLANSRIJK_PSEUDONYM_KEY.
    pseudonym: Mapped[bytes] = mapped_column(LargeBinary(32), unique=True)
    identifier_kind: Mapped[str] = mapped_column(String(16))
    # Fernet token of the identifier under GLANSRIJK_ENCRYPTION_KEY; read only by the audited identity lookup.
    identifier_ciphertext: Mapped[bytes | None] = mapped_column(LargeBinary)
    created_at: Mapped[datetime]


class YouthLocalId(Base):
    """The partner's own student or client number: shown back only to that partner, never next to events."""

    __tablename__ = "youth_local_ids"

    partner_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("partners.id", ondelete="CASCADE"), primary_key=True)
    youth_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("youths.id", ondelete="CASCADE"), primary_key=True)
    local_id: Mapped[str] = mapped_column(String(64))
    version: Mapped[str] = mapped_column(String(200))
