# SPDX-License-Identifier: EUPL-1.2
"""SQL of the measurements: storing a frozen measurement and reading it back."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from services.core.models import Measurement, MeasurementValue


def add(
    session: Session, label: str, day: date, at: datetime, partner_id: uuid.UUID, values: Sequence[dict[str, Any]]
) -> uuid.UUID:
    measurement_id = uuid.uuid4()
    session.execute(
        insert(Measurement).values(id=measurement_id, label=label, date=day, created_at=at, created_by=partner_id)
    )
    if values:
        session.execute(insert(MeasurementValue), [{**v, "measurement_id": measurement_id} for v in values])
    return measurement_id


def listing(session: Session, measurement_id: uuid.UUID | None = None) -> list[Any]:
    """Measurements with their number of values, newest first (or the one asked for)."""
    counted = (
        select(MeasurementValue.measurement_id, func.count().label("n"))
        .group_by(MeasurementValue.measurement_id)
        .subquery()
    )
    query = (
        select(Measurement, func.coalesce(counted.c.n, 0).label("n"))
        .outerjoin(counted, counted.c.measurement_id == Measurement.id)
        .order_by(Measurement.created_at.desc(), Measurement.id)
    )
    if measurement_id is not None:
        query = query.where(Measurement.id == measurement_id)
    return list(session.execute(query))


def values(session: Session, measurement_id: uuid.UUID) -> list[MeasurementValue]:
    query = (
        select(MeasurementValue)
        .where(MeasurementValue.measurement_id == measurement_id)
        .order_by(
            MeasurementValue.measure,
            MeasurementValue.period,
            MeasurementValue.dimension,
            MeasurementValue.dimension_value,
        )
    )
    return list(session.scalars(query))
