# SPDX-License-Identifier: EUPL-1.2
"""A youth's objection (bezwaar, AVG art. 21) to the signal rules that rest on no legal duty (ADR 0026)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from services.core.models.base import Base


class Objection(Base):
    """At most one per youth: while it stands, only the rules of a legal duty raise signals about the youth.

    Who recorded it (key and partner, none from the command line) and the youth's reason, in its own words as
    the partner noted them. Erasing the youth erases its objection with it.
    """

    __tablename__ = "objections"

    youth_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("youths.id", ondelete="CASCADE"), primary_key=True)
    lodged_at: Mapped[datetime]
    partner_id: Mapped[uuid.UUID | None]
    key_id: Mapped[uuid.UUID | None]
    reason: Mapped[str] = mapped_column(String(500))
