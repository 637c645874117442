# SPDX-License-Identifier: EUPL-1.2
"""Measurements (the 0-meting): every indicator frozen for the periods ending on a month-end date, and
comparisons between two of them or between one and the data now.

A frozen value is what a report published that day: rounded and suppressed. Each indicator is frozen as the
OData feed shows it: the total, and one breakdown per dimension.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from services.core.clock import utcnow
from services.reporting import queries_measurements, service
from services.reporting.catalogue import INDICATORS
from services.reporting.periods import TOTAL, parse_period, periods_ending_on

TOTAL_DIMENSION = "total"


def frozen_values(session: Session, day: date, today: date) -> list[dict[str, Any]]:
    """The published values of every indicator, for each period kind ending on `day`, total and per dimension."""
    found: list[dict[str, Any]] = []
    for period in periods_ending_on(day):
        for indicator in INDICATORS:
            if period.kind not in indicator.period_kinds:
                continue
            for by in ([], *([d] for d in indicator.dimensions)):
                rows = service.observations(session, indicator, period.kind, period.start, period.end, by, today)
                for row in rows:
                    if by and row.key[0] == TOTAL:
                        continue  # the total is stored once, under `total`
                    found.append(
                        {
                            "measure": indicator.code,
                            "period": row.period.code,
                            "period_start": row.period.start,
                            "dimension": by[0] if by else TOTAL_DIMENSION,
                            "dimension_value": row.key[0] if by else TOTAL,
                            "value": row.value,
                            "numerator": row.numerator,
                            "denominator": row.denominator,
                            "suppressed": row.suppressed,
                        }
                    )
    return found


def take(session: Session, label: str, day: date, partner_id: uuid.UUID, today: date) -> uuid.UUID:
    return queries_measurements.add(session, label, day, utcnow(), partner_id, frozen_values(session, day, today))


@dataclass(frozen=True)
class Side:
    period: str
    value: float | None


def _by_kind(values: list[dict[str, Any]]) -> dict[tuple[str, str, str, str], Side]:
    """Values keyed by indicator, period kind, dimension and dimension value (periods of two dates differ)."""
    return {
        (v["measure"], parse_period(v["period"]).kind, v["dimension"], v["dimension_value"]): Side(
            v["period"], v["value"]
        )
        for v in values
    }


def stored(session: Session, measurement_id: uuid.UUID) -> list[dict[str, Any]]:
    return [
        {
            "measure": v.measure,
            "period": v.period,
            "period_start": v.period_start,
            "dimension": v.dimension,
            "dimension_value": v.dimension_value,
            "value": v.value,
            "numerator": v.numerator,
            "denominator": v.denominator,
            "suppressed": v.suppressed,
        }
        for v in queries_measurements.values(session, measurement_id)
    ]


def compare(mine: list[dict[str, Any]], theirs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Both values and the difference (theirs minus mine; null when either side is null), for every key on
    either side."""
    left, right = _by_kind(mine), _by_kind(theirs)
    rows = []
    for key in sorted(set(left) | set(right)):
        a, b = left.get(key), right.get(key)
        value, against = (a.value if a else None), (b.value if b else None)
        difference = None if value is None or against is None else round(against - value, 1)
        rows.append(
            {
                "measure": key[0],
                "periodType": key[1],
                "dimension": key[2],
                "dimensionValue": key[3],
                "period": a.period if a else None,
                "againstPeriod": b.period if b else None,
                "value": value,
                "againstValue": against,
                "difference": difference,
            }
        )
    return rows
