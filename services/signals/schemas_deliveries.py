# SPDX-License-Identifier: EUPL-1.2
"""Bodies of the delivery log, replay and recover (spec/interface.md, "Webhooks")."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel

from services.signals.schemas import UtcDateTime

DeliveryStatus = Literal["pending", "succeeded", "failed", "skipped"]


class _Read(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, frozen=True)


class DeliveryAttemptRead(_Read):
    at: UtcDateTime
    duration_ms: int
    http_status: int | None
    error_class: str | None


class DeliveryRead(_Read):
    """`id` identifies the delivery; `eventId` is the CloudEvent `id` and `webhook-id` it is sent with (the
    same value: one event per delivery, stable across retries and replays)."""

    id: uuid.UUID
    event_id: uuid.UUID
    type: str
    status: DeliveryStatus
    created_at: UtcDateTime
    next_attempt_at: UtcDateTime | None
    attempts: list[DeliveryAttemptRead]


class DeliveryPageRead(_Read):
    items: list[DeliveryRead]
    next: str | None


class RecoverCreate(BaseModel):
    """The window of deliveries (by the time they were written) to send again: `since` <= t < `until`."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    since: datetime
    until: datetime


class RecoverRead(_Read):
    """How many failed and skipped deliveries are on their way again."""

    count: int
