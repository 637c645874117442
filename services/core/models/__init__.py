# SPDX-License-Identifier: EUPL-1.2
"""All models, imported here so that `Base.metadata` knows every table (Alembic reads it)."""

from services.core.models.base import Base
from services.core.models.event import Event, EventBatch, Retraction
from services.core.models.partner import ApiKey, Partner, PartnerBrin, PartnerRole
from services.core.models.state import (
    AbsenceWeek,
    EnrolmentEnd,
    EnrolmentPeriod,
    Episode,
    Fact,
    Registration,
    YouthProfile,
)
from services.core.models.youth import Youth, YouthLocalId

__all__ = [
    "AbsenceWeek",
    "ApiKey",
    "Base",
    "EnrolmentEnd",
    "EnrolmentPeriod",
    "Episode",
    "Event",
    "EventBatch",
    "Fact",
    "Partner",
    "PartnerBrin",
    "PartnerRole",
    "Registration",
    "Retraction",
    "Youth",
    "YouthLocalId",
    "YouthProfile",
]
