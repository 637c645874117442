# SPDX-License-Identifier: EUPL-1.2
"""Response bodies of the intake API."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict


class EventResultRead(BaseModel):
    model_config = ConfigDict(frozen=True)

    index: int
    id: str
    status: Literal["accepted", "duplicate"]


class IntakeResultRead(BaseModel):
    model_config = ConfigDict(frozen=True)

    accepted: int
    duplicates: int
    results: list[EventResultRead]
