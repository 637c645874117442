# SPDX-License-Identifier: EUPL-1.2
"""Measurements: every indicator frozen at a month-end date under a label (the 0-meting).

Values are stored as published (rounded and suppressed), so a measurement never holds more than a report
did, and it stays when the youths it counted are erased.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import Boolean, Float, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from services.core.models.base import Base


class Measurement(Base):
    __tablename__ = "reporting_measurements"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    label: Mapped[str] = mapped_column(String(100))
    date: Mapped[date]
    created_at: Mapped[datetime]
    created_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("partners.id"))


class MeasurementValue(Base):
    """One published cell: indicator, period, one dimension (or `total`) and its value."""

    __tablename__ = "reporting_measurement_values"

    measurement_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("reporting_measurements.id", ondelete="CASCADE"), primary_key=True
    )
    measure: Mapped[str] = mapped_column(String(40), primary_key=True)
    period: Mapped[str] = mapped_column(String(8), primary_key=True)
    dimension: Mapped[str] = mapped_column(String(16), primary_key=True)
    dimension_value: Mapped[str] = mapped_column(String(40), primary_key=True)
    period_start: Mapped[date]
    value: Mapped[float | None] = mapped_column(Float)
    numerator: Mapped[int | None] = mapped_column(Integer)
    denominator: Mapped[int | None] = mapped_column(Integer)
    suppressed: Mapped[bool] = mapped_column(Boolean)
