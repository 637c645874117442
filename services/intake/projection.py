# SPDX-License-Identifier: EUPL-1.2
"""From stored events to the rows of each youth's state (pure: no database here).

The same function serves intake (the new events of a request) and `rebuild-state` (all events), which is
why a rebuilt state equals the incrementally built one. Rows that a later event may replace carry the
event's version; `repository.apply_projection` keeps the highest, so arrival order does not matter.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from functools import cached_property
from typing import Any

BRP_RANK = 2  # person.registered: the BRP's birth date wins over any other
PARTNER_RANK = 1

# event type -> (episode kind, start or end, name of the date field)
EPISODE_EVENTS: dict[str, tuple[str, str, str]] = {
    "education.exemption-granted": ("exemption", "start", "from"),
    "education.exemption-ended": ("exemption", "end", "to"),
    "work.employment-started": ("employment", "start", "date"),
    "work.employment-ended": ("employment", "end", "date"),
    "income.benefit-started": ("benefit", "start", "date"),
    "income.benefit-ended": ("benefit", "end", "date"),
    "care.started": ("care", "start", "date"),
    "care.ended": ("care", "end", "date"),
    "support.trajectory-started": ("trajectory", "start", "date"),
    "support.trajectory-ended": ("trajectory", "end", "date"),
}
# The attribute that rules and reports filter episodes on.
EPISODE_CATEGORY = {"benefit": "kind", "care": "framework"}

# event type -> (fact kind, name of the attribute kept as `code`)
FACT_EVENTS: dict[str, tuple[str, str | None]] = {
    "education.qualified": ("qualification", "qualification"),
    "education.mbo-applied": ("mbo-application", None),
    "support.contact": ("contact", "channel"),
    "support.transition-plan": ("transition-plan", None),
    "support.life-domains-assessed": ("life-domains", None),
}


@dataclass(frozen=True)
class StoredEvent:
    seq: int
    youth_id: uuid.UUID
    partner_id: uuid.UUID
    source: str
    event_id: str
    type: str
    time: datetime
    birth_date: date | None
    data: dict[str, Any]

    @cached_property
    def version(self) -> str:
        # Computed once per event: the projection and the local ids of a request both use it.
        return version_of(self.time, self.source, self.event_id)


def version_of(moment: datetime, source: str, event_id: str) -> str:
    """Sortable as text: fixed-width UTC time first, then source and id to break ties deterministically."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    elif moment.tzinfo is not UTC:
        moment = moment.astimezone(UTC)
    # isoformat ends in "+00:00" here; it is several times faster than strftime and, for the years 1900-2100
    # that intake accepts, gives the same text as "%Y-%m-%dT%H:%M:%S.%fZ".
    return f"{moment.isoformat(timespec='microseconds')[:-6]}Z|{source}|{event_id}"


def _date(value: Any) -> date | None:
    return date.fromisoformat(value) if isinstance(value, str) else value


Row = dict[str, Any]


@dataclass
class ProjectionRows:
    """Rows to write, already reduced to the newest version per key (one upsert may not hit a key twice)."""

    profiles: dict[uuid.UUID, Row] = field(default_factory=dict)
    registrations: list[Row] = field(default_factory=list)
    enrolment_periods: dict[tuple[Any, ...], Row] = field(default_factory=dict)
    enrolment_ends: dict[tuple[Any, ...], Row] = field(default_factory=dict)
    absence_weeks: dict[tuple[Any, ...], Row] = field(default_factory=dict)
    episode_starts: dict[tuple[Any, ...], Row] = field(default_factory=dict)
    episode_ends: dict[tuple[Any, ...], Row] = field(default_factory=dict)
    facts: list[Row] = field(default_factory=list)


def _keep_newest(rows: dict[tuple[Any, ...], Row], key: tuple[Any, ...], row: Row, version_field: str) -> None:
    current = rows.get(key)
    if current is None or row[version_field] > current[version_field]:
        rows[key] = row


def project(events: Iterable[StoredEvent]) -> ProjectionRows:
    rows = ProjectionRows()
    for event in events:
        _project_one(event, rows)
    return rows


def _project_one(event: StoredEvent, rows: ProjectionRows) -> None:
    data, version = event.data, event.version
    if event.birth_date is not None:
        rank = BRP_RANK if event.type == "person.registered" else PARTNER_RANK
        profile = {
            "youth_id": event.youth_id,
            "birth_date": event.birth_date,
            "birth_date_rank": rank,
            "birth_date_version": version,
        }
        current = rows.profiles.get(event.youth_id)
        if current is None or (rank, version) > (current["birth_date_rank"], current["birth_date_version"]):
            rows.profiles[event.youth_id] = profile

    kind = event.type
    if kind in ("person.registered", "person.deregistered"):
        registered = kind == "person.registered"
        rows.registrations.append(
            {
                "event_seq": event.seq,
                "youth_id": event.youth_id,
                "kind": "registered" if registered else "deregistered",
                "date": _date(data["since"] if registered else data["date"]),
                "district_code": data.get("districtCode"),
                "reason": data.get("reason"),
                "version": version,
            }
        )
    elif kind == "education.enrolled":
        row = {
            "youth_id": event.youth_id,
            "source": event.source,
            "episode_id": data["episodeId"],
            "start_date": _date(data["startDate"]),
            "partner_id": event.partner_id,
            "brin": data["brin"],
            "sector": data["sector"],
            "track": data["track"],
            "pathway": data.get("pathway"),
            "grade": data["grade"],
            "final_year": data["finalYear"],
            "outflow_profile": data.get("outflowProfile"),
            "version": version,
        }
        key = (event.youth_id, event.source, data["episodeId"], row["start_date"])
        _keep_newest(rows.enrolment_periods, key, row, "version")
    elif kind == "education.unenrolled":
        row = {
            "youth_id": event.youth_id,
            "source": event.source,
            "episode_id": data["episodeId"],
            "brin": data["brin"],
            "end_date": _date(data["endDate"]),
            "reason": data["reason"],
            "version": version,
        }
        _keep_newest(rows.enrolment_ends, (event.youth_id, event.source, data["episodeId"]), row, "version")
    elif kind == "education.absence-reported":
        row = {
            "youth_id": event.youth_id,
            "brin": data["brin"],
            "week_start": _date(data["weekStart"]),
            "scheduled_hours": float(data["scheduledHours"]),
            "unauthorized_hours": float(data["unauthorizedHours"]),
            "authorized_hours": float(data["authorizedHours"]),
            "version": version,
        }
        _keep_newest(rows.absence_weeks, (event.youth_id, data["brin"], row["week_start"]), row, "version")
    elif kind in EPISODE_EVENTS:
        _project_episode(event, rows)
    elif kind in FACT_EVENTS:
        fact_kind, code_field = FACT_EVENTS[kind]
        attrs = {k: v for k, v in data.items() if k not in ("date", code_field)}
        rows.facts.append(
            {
                "event_seq": event.seq,
                "youth_id": event.youth_id,
                "kind": fact_kind,
                "date": _date(data["date"]),
                "partner_id": event.partner_id,
                "code": data[code_field] if code_field else None,
                "attrs": attrs,
            }
        )


def _project_episode(event: StoredEvent, rows: ProjectionRows) -> None:
    episode_kind, side, date_field = EPISODE_EVENTS[event.type]
    data = event.data
    category_field = EPISODE_CATEGORY.get(episode_kind)
    attrs = {k: v for k, v in data.items() if k not in ("episodeId", date_field)}
    key = (event.youth_id, episode_kind, event.source, data["episodeId"])
    row = {
        "youth_id": event.youth_id,
        "kind": episode_kind,
        "source": event.source,
        "episode_id": data["episodeId"],
        "category": data.get(category_field) if category_field else None,
        f"{side}_date": _date(data[date_field]),
        f"{side}_attrs": attrs,
        f"{side}_partner_id": event.partner_id,
        f"{side}_version": event.version,
    }
    if side == "end":
        row["end_event_id"] = event.event_id
        _keep_newest(rows.episode_ends, key, row, "end_version")
    else:
        _keep_newest(rows.episode_starts, key, row, "start_version")
