# SPDX-License-Identifier: EUPL-1.2
"""Scopes and partner roles of the interface (spec/interface.md, "Partners, keys and access")."""

from enum import StrEnum


class Scope(StrEnum):
    EVENTS_WRITE = "events:write"
    SIGNALS_READ = "signals:read"
    SIGNALS_WRITE = "signals:write"
    SUBSCRIPTIONS_MANAGE = "subscriptions:manage"
    CHAIN_MANAGE = "chain:manage"
    REPORTING_READ = "reporting:read"
    REPORTING_MANAGE = "reporting:manage"


class Role(StrEnum):
    SCHOOL = "school"
    LEERPLICHT = "leerplicht"
    DOORSTROOMPUNT = "doorstroompunt"
    SOCIAL_SERVICES = "social-services"
    YOUTH_CARE = "youth-care"
    YOUTH_COACH = "youth-coach"
    MUNICIPALITY = "municipality"


# Only these roles can hold a youth's accountability (domain.md, "Accountability").
ACCOUNTABLE_ROLES = frozenset(
    {Role.LEERPLICHT, Role.DOORSTROOMPUNT, Role.YOUTH_CARE, Role.YOUTH_COACH, Role.MUNICIPALITY}
)
