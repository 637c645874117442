# SPDX-License-Identifier: EUPL-1.2
"""Bodies of the privacy endpoints under `/signals/v1/youths/{id}` (ADR 0025, ADR 0026).

JSON names are lowerCamelCase; date-times RFC 3339 in UTC, like the rest of the signals API.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated, Any

from pydantic import ConfigDict, Field

from services.core.text import StorableText
from services.signals.schemas import UtcDateTime, _Input, _Read

MAX_REASON = 500


class _RowRead(_Read):
    """Read straight from a stored row (its attributes carry the same names)."""

    model_config = ConfigDict(from_attributes=True)


class AuditEntryRead(_RowRead):
    """One access to the youth's data: when, by which organisation and key, how, where and why."""

    at: UtcDateTime
    partner_id: uuid.UUID | None = Field(description="null: an operator's command, not an API key")
    partner_name: str | None
    key_id: uuid.UUID | None
    action: str = Field(description="read | change | export | erase")
    endpoint: str
    purpose: str | None


class AuditLogRead(_Read):
    youth_id: uuid.UUID
    items: list[AuditEntryRead]


class ExportEventRead(_RowRead):
    type: str
    time: UtcDateTime
    received_at: UtcDateTime
    partner_id: uuid.UUID
    retracted: bool
    data: dict[str, Any]


class ExportLocalIdRead(_RowRead):
    partner_id: uuid.UUID
    local_id: str


class ExportSignalChangeRead(_RowRead):
    at: UtcDateTime
    kind: str
    status: str | None
    partner_id: uuid.UUID | None
    reason_code: str | None
    note: str | None


class ExportSignalRead(_Read):
    id: uuid.UUID
    type: str
    severity: str
    status: str
    raised_on: date
    deadline: date
    escalated: bool
    routed_to: uuid.UUID
    reasons: list[dict[str, Any]]
    history: list[ExportSignalChangeRead]


class ExportAccountabilityRead(_RowRead):
    partner_id: uuid.UUID
    since: UtcDateTime
    until: UtcDateTime | None
    cause: str


class ExportHandoverRead(_RowRead):
    id: uuid.UUID
    from_partner_id: uuid.UUID
    to_partner_id: uuid.UUID
    status: str
    reason: str
    requested_at: UtcDateTime
    answered_at: UtcDateTime | None
    answer_reason: str | None


class ObjectionCreate(_Input):
    reason: Annotated[str, StorableText] = Field(
        min_length=1, max_length=MAX_REASON, description="The youth's reason, as noted"
    )


class ObjectionRead(_RowRead):
    youth_id: uuid.UUID
    lodged_at: UtcDateTime
    partner_id: uuid.UUID | None
    reason: str


class YouthExportRead(_Read):
    """Everything held about the youth (AVG art. 15), without the BSN itself: see the identity lookup."""

    youth_id: uuid.UUID
    identifier_kind: str
    known_since: UtcDateTime
    events: list[ExportEventRead]
    local_ids: list[ExportLocalIdRead]
    signals: list[ExportSignalRead]
    accountability: list[ExportAccountabilityRead]
    handovers: list[ExportHandoverRead]
    objection: ObjectionRead | None
    audit: list[AuditEntryRead]
