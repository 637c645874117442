# SPDX-License-Identifier: EUPL-1.2
"""Request and response bodies of the signals API (spec/interface.md, "Signals").

JSON names are lowerCamelCase (aliases); dates are `YYYY-MM-DD`, date-times RFC 3339 in UTC with `Z`.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer
from pydantic.alias_generators import to_camel

from services.core.clock import as_utc
from services.core.text import StorableText

SignalStatus = Literal["open", "acknowledged", "resolved", "dismissed"]
HandoverStatus = Literal["pending", "accepted", "declined", "withdrawn"]
HandoverDirection = Literal["incoming", "outgoing"]
CloseReasonCode = Literal["back-in-education", "work", "care", "moved", "false-positive", "retracted", "other"]
AgeBand = Literal["12-15", "16-17", "18-22", "23-26", "unknown"]
# domain.md, "Signal types": the `type` filter accepts these only.
SignalType = Literal[
    "absence-16h",
    "absence-18plus",
    "long-term-absence",
    "absolute-absence",
    "no-startkwalificatie",
    "mbo-not-applied",
    "transition-18-no-plan",
    "transition-18-care-gap",
    "handover-due-18",
    "out-of-view",
    "dropout-risk",
    "relapse",
    "handover-stalled",
]


def rfc3339_utc(moment: datetime) -> str:
    # Postgres answers in the session's zone, SQLite without one.
    return as_utc(moment).astimezone(UTC).isoformat().replace("+00:00", "Z")


UtcDateTime = Annotated[datetime, PlainSerializer(rfc3339_utc, return_type=str)]


class _Read(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, frozen=True)


class _Input(BaseModel):
    # Input is accepted under the camelCase names only, so error pointers name what the client sent.
    model_config = ConfigDict(alias_generator=to_camel, frozen=True)


class YouthSummaryRead(_Read):
    """The youth as shown beside a signal: derived facts only, never an identifier or a birth date."""

    id: uuid.UUID
    age: int | None
    age_band: AgeBand
    district: str | None
    enrolled: bool
    sector: str
    startkwalificatie: bool
    accountable_partner_id: uuid.UUID | None


class ReasonRead(_Read):
    code: str
    facts: dict[str, Any] | None


class ChangeReasonRead(_Read):
    code: str
    note: str | None


class SignalChangeRead(_Read):
    at: UtcDateTime
    kind: str
    status: str | None
    partner_id: uuid.UUID | None
    reason: ChangeReasonRead | None


class SignalRead(_Read):
    id: uuid.UUID
    type: str
    severity: str
    status: str
    dedupe_key: str
    raised_on: date
    deadline: date
    escalated: bool
    escalated_at: UtcDateTime | None
    routed_to: uuid.UUID
    relation: Literal["routed", "accountable"]
    reasons: list[ReasonRead]
    youth: YouthSummaryRead
    history: list[SignalChangeRead]


class SignalPageRead(_Read):
    items: list[SignalRead]
    next: str | None


class CloseReasonCreate(_Input):
    code: CloseReasonCode
    note: Annotated[str, StorableText] | None = Field(default=None, max_length=500)


class SignalUpdate(_Input):
    status: SignalStatus
    reason: CloseReasonCreate | None = None


class YouthSearchCreate(_Input):
    """Exactly one identifier; checked by hand so that no error ever echoes it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    bsn: str | None = None
    onderwijsnummer: str | None = None


class YouthIdRead(_Read):
    id: uuid.UUID


class IdentityRead(_Read):
    bsn: str | None = None
    onderwijsnummer: str | None = None


class TimelineEntryRead(_Read):
    type: str
    time: UtcDateTime
    data: dict[str, Any]


class AccountabilityPeriodRead(_Read):
    partner_id: uuid.UUID
    since: UtcDateTime
    until: UtcDateTime | None
    cause: str


class YouthRead(YouthSummaryRead):
    timeline: list[TimelineEntryRead]
    active_signals: list[SignalRead]
    accountability: list[AccountabilityPeriodRead]


class HandoverCreate(_Input):
    to_partner_id: uuid.UUID
    reason: Annotated[str, StorableText] = Field(min_length=1, max_length=500)


class HandoverUpdate(_Input):
    status: Literal["accepted", "declined"]
    reason: Annotated[str, StorableText] | None = Field(default=None, max_length=500)


class HandoverRead(_Read):
    id: uuid.UUID
    youth_id: uuid.UUID
    from_partner_id: uuid.UUID
    to_partner_id: uuid.UUID
    reason: str
    status: str
    requested_at: UtcDateTime
    answered_at: UtcDateTime | None
    answer_reason: str | None


class HandoverPageRead(_Read):
    items: list[HandoverRead]
    next: str | None


class AccountabilityUpdate(_Input):
    partner_id: uuid.UUID


class AccountabilityRead(_Read):
    youth_id: uuid.UUID
    partner_id: uuid.UUID
    since: UtcDateTime
    cause: str


class EscalatedYouthRead(YouthSummaryRead):
    active_signals: list[uuid.UUID]


class EscalationsRead(_Read):
    signals: list[SignalRead]
    handovers: list[HandoverRead]
    youths_without_accountable: list[EscalatedYouthRead]
