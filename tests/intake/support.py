# SPDX-License-Identifier: EUPL-1.2
"""Shared helpers of the intake tests: one valid event per type, and the projected state read back."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from services.core.db import get_engine
from services.core.identity import decrypt
from tests.factories import TestPartner, event, make_partner

STATE_TABLES = (
    "youth_profiles",
    "registrations",
    "enrolment_periods",
    "enrolment_ends",
    "absence_weeks",
    "episodes",
    "facts",
)
# Columns that differ between two databases holding the same facts: surrogate keys and event sequence numbers.
VOLATILE = frozenset({"id", "event_seq", "youth_id"})
SCHOOL_BRIN = "12AB"
OTHER_BRIN = "34CD"


@dataclass
class Partners:
    municipality: TestPartner
    school: TestPartner
    leerplicht: TestPartner
    doorstroompunt: TestPartner
    social: TestPartner
    youth_care: TestPartner
    youth_coach: TestPartner

    def by_role(self, role: str) -> TestPartner:
        return {
            "municipality": self.municipality,
            "school": self.school,
            "leerplicht": self.leerplicht,
            "doorstroompunt": self.doorstroompunt,
            "social-services": self.social,
            "youth-care": self.youth_care,
            "youth-coach": self.youth_coach,
        }[role]


def make_partners() -> Partners:
    return Partners(
        municipality=make_partner(["municipality"]),
        school=make_partner(["school"], brins=[SCHOOL_BRIN]),
        leerplicht=make_partner(["leerplicht"]),
        doorstroompunt=make_partner(["doorstroompunt"]),
        social=make_partner(["social-services"]),
        youth_care=make_partner(["youth-care"]),
        youth_coach=make_partner(["youth-coach"]),
    )


# type -> (role that posts it, data without person). One valid event of every type of the catalogue.
VALID: dict[str, tuple[str, dict[str, Any]]] = {
    "person.registered": ("municipality", {"districtCode": "WK050501", "postcode4": "3311", "since": "2010-05-01"}),
    "person.deregistered": ("municipality", {"date": "2026-01-31", "reason": "moved-out"}),
    "education.enrolled": (
        "school",
        {
            "episodeId": "enr-1",
            "brin": SCHOOL_BRIN,
            "sector": "vo",
            "track": "havo",
            "grade": 3,
            "finalYear": False,
            "startDate": "2025-08-18",
        },
    ),
    "education.unenrolled": (
        "school",
        {"episodeId": "enr-1", "brin": SCHOOL_BRIN, "endDate": "2026-01-16", "reason": "transfer"},
    ),
    "education.qualified": ("school", {"qualification": "havo", "date": "2025-07-01"}),
    "education.absence-reported": (
        "school",
        {
            "brin": SCHOOL_BRIN,
            "weekStart": "2026-01-12",
            "scheduledHours": 26,
            "unauthorizedHours": 6,
            "authorizedHours": 2.5,
        },
    ),
    "education.exemption-granted": ("leerplicht", {"episodeId": "vr-1", "from": "2025-09-01", "article": "5a"}),
    "education.exemption-ended": ("leerplicht", {"episodeId": "vr-1", "to": "2026-01-31", "article": "5a"}),
    "education.mbo-applied": ("school", {"date": "2026-03-01", "brin": "99ZZ"}),
    "work.employment-started": ("social-services", {"episodeId": "job-1", "date": "2026-01-05", "hoursPerWeek": 24}),
    "work.employment-ended": ("social-services", {"episodeId": "job-1", "date": "2026-03-31"}),
    "income.benefit-started": (
        "social-services",
        {"episodeId": "uk-1", "date": "2026-01-01", "kind": "participatiewet"},
    ),
    "income.benefit-ended": ("social-services", {"episodeId": "uk-1", "date": "2026-06-30", "kind": "participatiewet"}),
    "care.started": (
        "youth-care",
        {"episodeId": "zorg-1", "date": "2025-10-01", "framework": "jeugdwet", "kind": "45"},
    ),
    "care.ended": ("youth-care", {"episodeId": "zorg-1", "date": "2026-02-28", "framework": "jeugdwet"}),
    "support.contact": ("youth-coach", {"date": "2026-01-20", "channel": "outreach"}),
    "support.trajectory-started": ("youth-coach", {"episodeId": "traj-1", "date": "2026-01-21"}),
    "support.trajectory-ended": ("youth-coach", {"episodeId": "traj-1", "date": "2026-05-01", "outcome": "work"}),
    "support.transition-plan": ("youth-care", {"date": "2026-02-01"}),
    "support.life-domains-assessed": (
        "youth-coach",
        {"date": "2026-02-02", "scores": {"finances": 2, "daytime-activity": 3, "mental-health": 4}},
    ),
    "event.retracted": ("youth-coach", {"retractedId": "never-posted"}),
}


def person_for(type_: str, number: str) -> dict[str, Any]:
    if type_ == "person.registered":
        return {"bsn": number, "birthDate": "2010-04-02"}
    return {"bsn": number}


def trajectory(partner: TestPartner, person: dict[str, str]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The start and the end of one support trajectory (an episode) of this person."""
    started, ended = (
        event(partner, f"support.trajectory-{kind}", VALID[f"support.trajectory-{kind}"][1], person=person)
        for kind in ("started", "ended")
    )
    return started, ended


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.hex()
    return value


def identities(bind: Connection | Session) -> dict[Any, str]:
    """youth id -> the decrypted identifier: lets two runs with different youth ids be compared."""
    rows = bind.execute(text("SELECT id, identifier_ciphertext FROM youths")).all()
    return {row.id: decrypt(row.identifier_ciphertext) for row in rows}


def state(bind: Connection | Session | None = None, *, keep: frozenset[str] = frozenset()) -> dict[str, list[str]]:
    """Every projection table as sorted JSON rows; youth ids replaced by the identifier, volatile keys dropped."""
    if bind is None:
        with get_engine().connect() as connection:
            return state(connection, keep=keep)
    who = identities(bind)
    dump: dict[str, list[str]] = {}
    for table in STATE_TABLES:
        rows = []
        for row in bind.execute(text(f"SELECT * FROM {table}")).mappings():
            item = {k: _plain(v) for k, v in row.items() if k not in VOLATILE or k in keep}
            item["youth"] = who[row["youth_id"]]
            rows.append(json.dumps(item, sort_keys=True, default=str))
        dump[table] = sorted(rows)
    return dump


def rows(table: str) -> list[dict[str, Any]]:
    with get_engine().connect() as connection:
        return [dict(r) for r in connection.execute(text(f"SELECT * FROM {table}")).mappings()]


def count(table: str) -> int:
    with get_engine().connect() as connection:
        return int(connection.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())


def forget_youths() -> None:
    """Delete every youth (cascading to events and retractions) and its state (derived, without foreign keys:
    ADR 0017), but keep partners and keys."""
    with get_engine().begin() as connection:
        for table in STATE_TABLES:
            connection.execute(text(f"DELETE FROM {table}"))
        connection.execute(text("DELETE FROM youths"))
        connection.execute(text("DELETE FROM event_batches"))


def names(response: Any) -> list[str]:
    return [p["name"] for p in response.json()["invalidParams"]]
