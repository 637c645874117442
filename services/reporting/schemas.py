# SPDX-License-Identifier: EUPL-1.2
"""Pydantic models of the reporting API (lowerCamelCase on the wire)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from services.core.text import StorableText


class Schema(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True)


class TextRead(Schema):
    nl: str
    en: str


class IndicatorRead(Schema):
    code: str
    title: TextRead
    description: TextRead
    level: str
    unit: str
    numerator: TextRead
    denominator: TextRead | None
    dimensions: list[str]
    target: float | None
    periods: list[str]


class IndicatorList(Schema):
    items: list[IndicatorRead]


class MeasurementCreate(Schema):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid")

    label: Annotated[str, StorableText] = Field(min_length=1, max_length=100)
    date: date


class MeasurementRead(Schema):
    id: uuid.UUID
    label: str
    date: date
    created_at: datetime
    values: int


class MeasurementList(Schema):
    items: list[MeasurementRead]
