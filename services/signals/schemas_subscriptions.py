# SPDX-License-Identifier: EUPL-1.2
"""Request and response bodies of the subscriptions API (spec/interface.md, "Webhooks").

JSON names are lowerCamelCase; `authToken` is write-only and `secret` appears only at creation and rotation.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from services.core.text import StorableText
from services.signals.schemas import UtcDateTime
from services.signals.webhooks.event_types import check_filter

SubscriptionStatus = Literal["active", "disabled"]
DisabledReason = Literal["gone", "failing"]
MAX_TYPES = 20
MAX_URL = 2000
# RFC 6750 `b64token`: what may follow `Bearer ` in the Authorization header we send.
AUTH_TOKEN_PATTERN = r"^[A-Za-z0-9\-._~+/]+=*$"  # noqa: S105 (a syntax, not a token)

TypeFilter = Annotated[str, AfterValidator(check_filter)]
TypeFilters = Annotated[list[TypeFilter], Field(min_length=1, max_length=MAX_TYPES)]
Url = Annotated[str, Field(min_length=1, max_length=MAX_URL), StorableText]
Description = Annotated[str, Field(max_length=500), StorableText]
AuthToken = Annotated[str, Field(min_length=1, max_length=500, pattern=AUTH_TOKEN_PATTERN)]


class _Read(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, frozen=True)


class _Input(BaseModel):
    # camelCase names only, so error pointers name what the client sent; unknown fields are refused, so that a
    # misspelt `authtoken` does not silently leave a subscription without its token.
    model_config = ConfigDict(alias_generator=to_camel, frozen=True, extra="forbid")


class SubscriptionCreate(_Input):
    url: Url
    types: TypeFilters
    description: Description | None = None
    auth_token: AuthToken | None = None
    handshake: bool = False


class SubscriptionUpdate(_Input):
    """Only the fields sent change; `description` and `authToken` may be null to clear them."""

    url: Url | None = None
    types: TypeFilters | None = None
    description: Description | None = None
    auth_token: AuthToken | None = None
    status: SubscriptionStatus | None = None
    rotate_secret: bool = False


class SubscriptionRead(_Read):
    id: uuid.UUID
    url: str
    types: list[str]
    description: str | None
    status: SubscriptionStatus
    disabled_reason: DisabledReason | None
    created_at: UtcDateTime


class SubscriptionSecretRead(SubscriptionRead):
    """The subscription with its signing secret: only in the answer that created it."""

    secret: str


class SubscriptionPageRead(_Read):
    items: list[SubscriptionRead]
    next: str | None
