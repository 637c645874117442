# SPDX-License-Identifier: EUPL-1.2
"""All models, imported here so that `Base.metadata` knows every table (Alembic reads it)."""

from services.core.models.accountability import Accountability, Handover
from services.core.models.audit import AuditEntry
from services.core.models.base import Base
from services.core.models.delivery import Delivery, DeliveryAttempt, YouthEventSequence
from services.core.models.event import Event, EventBatch, Retraction
from services.core.models.measurement import Measurement, MeasurementValue
from services.core.models.objection import Objection
from services.core.models.partner import ApiKey, Partner, PartnerBrin, PartnerRole
from services.core.models.report import (
    ReportingMonthCell,
    ReportingMonthEnd,
    ReportingYouthMonth,
)
from services.core.models.signal import Signal, SignalChange, SignalEvidence
from services.core.models.state import (
    AbsenceWeek,
    EnrolmentEnd,
    EnrolmentPeriod,
    Episode,
    Fact,
    Registration,
    YouthProfile,
)
from services.core.models.subscription import Subscription
from services.core.models.youth import Youth, YouthLocalId

__all__ = [
    "AbsenceWeek",
    "Accountability",
    "ApiKey",
    "AuditEntry",
    "Base",
    "Delivery",
    "DeliveryAttempt",
    "EnrolmentEnd",
    "EnrolmentPeriod",
    "Episode",
    "Event",
    "EventBatch",
    "Fact",
    "Handover",
    "Measurement",
    "MeasurementValue",
    "Objection",
    "Partner",
    "PartnerBrin",
    "PartnerRole",
    "Registration",
    "ReportingMonthCell",
    "ReportingMonthEnd",
    "ReportingYouthMonth",
    "Retraction",
    "Signal",
    "SignalChange",
    "SignalEvidence",
    "Subscription",
    "Youth",
    "YouthEventSequence",
    "YouthLocalId",
    "YouthProfile",
]
