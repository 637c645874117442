# SPDX-License-Identifier: EUPL-1.2
"""The projection of each youth's state: facts keyed so that merging them is order-independent.

Every row that a later event may overwrite carries a `version` ("<UTC time>|<source>|<event id>"): an upsert
only replaces a row with a higher version, so the state does not depend on arrival order (last writer by
event `time` wins, ties broken by source and id). Set-like facts are keyed by the event that carries them.
The whole projection is derived: `glansrijk rebuild-state` deletes it and replays the event store. That is
also why these tables have no foreign keys (ADR 0017): intake writes their rows in the transaction that stores
the events and creates the youths they name, and a foreign-key check per row cost batched intake more than
any other step of its projection. Deleting a youth therefore deletes its state explicitly
(`services.intake.repository.delete_projection`), not by cascade.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from sqlalchemy import Boolean, Index, SmallInteger, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from services.core.models.base import Base, BigIntId, JsonType

VERSION = String(340)
# Percent of an absence_weeks page that inserts fill (ADR 0040); migration 0012 sets the same.
ABSENCE_WEEKS_FILLFACTOR = 90


class YouthProfile(Base):
    """Birth date: the BRP's (rank 2) wins over any other partner's (rank 1); then the latest event."""

    __tablename__ = "youth_profiles"

    youth_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    birth_date: Mapped[date | None]
    birth_date_rank: Mapped[int] = mapped_column(SmallInteger)
    birth_date_version: Mapped[str] = mapped_column(VERSION)


class Registration(Base):
    """`person.registered` / `person.deregistered` facts; registration on a date is the latest fact by date."""

    __tablename__ = "registrations"

    event_seq: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    youth_id: Mapped[uuid.UUID] = mapped_column(index=True)
    kind: Mapped[str] = mapped_column(String(16))
    date: Mapped[date]
    district_code: Mapped[str | None] = mapped_column(String(8))
    reason: Mapped[str | None] = mapped_column(String(16))
    version: Mapped[str] = mapped_column(VERSION)


class EnrolmentPeriod(Base):
    """One `education.enrolled` state of an enrolment from `start_date` on; the same start date corrects it."""

    __tablename__ = "enrolment_periods"
    __table_args__ = (UniqueConstraint("youth_id", "source", "episode_id", "start_date"),)

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=True)
    youth_id: Mapped[uuid.UUID]
    source: Mapped[str] = mapped_column(String(300))
    episode_id: Mapped[str] = mapped_column(String(200))
    start_date: Mapped[date]
    partner_id: Mapped[uuid.UUID]
    brin: Mapped[str] = mapped_column(String(4))
    sector: Mapped[str] = mapped_column(String(8))
    track: Mapped[str] = mapped_column(String(8))
    pathway: Mapped[str | None] = mapped_column(String(3))
    grade: Mapped[int] = mapped_column(SmallInteger)
    final_year: Mapped[bool] = mapped_column(Boolean)
    outflow_profile: Mapped[str | None] = mapped_column(String(20))
    version: Mapped[str] = mapped_column(VERSION)


class EnrolmentEnd(Base):
    """The `education.unenrolled` of an enrolment (end date inclusive)."""

    __tablename__ = "enrolment_ends"

    youth_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(300), primary_key=True)
    episode_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    brin: Mapped[str] = mapped_column(String(4))
    end_date: Mapped[date]
    reason: Mapped[str] = mapped_column(String(16))
    version: Mapped[str] = mapped_column(VERSION)


class AbsenceWeek(Base):
    """Hours per youth, BRIN and week; the report with the latest `time` wins.

    A tenth of each page stays free (ADR 0040): a school's correction of a week stays on its row's page as a
    HOT update, without a new index entry, and leaves no one-row gap on an old page for a new week to fill. New
    weeks, nearly all of its writes, go to the end of the table.
    """

    __tablename__ = "absence_weeks"
    __table_args__ = {"postgresql_with": {"fillfactor": ABSENCE_WEEKS_FILLFACTOR}}

    youth_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    brin: Mapped[str] = mapped_column(String(4), primary_key=True)
    week_start: Mapped[date] = mapped_column(primary_key=True)
    scheduled_hours: Mapped[float]
    unauthorized_hours: Mapped[float]
    authorized_hours: Mapped[float]
    version: Mapped[str] = mapped_column(VERSION)


class Episode(Base):
    """Start/end episodes other than enrolments: exemption, employment, benefit, care, trajectory.

    The start and the end are merged independently (each with its own version), so an end that arrives
    before its start is kept and completed later.
    """

    __tablename__ = "episodes"
    __table_args__ = (
        UniqueConstraint("youth_id", "kind", "source", "episode_id"),
        Index(None, "youth_id", "kind"),
    )

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=True)
    youth_id: Mapped[uuid.UUID]
    kind: Mapped[str] = mapped_column(String(16))
    source: Mapped[str] = mapped_column(String(300))
    episode_id: Mapped[str] = mapped_column(String(200))
    # Care framework or benefit kind: what rules and reports filter on.
    category: Mapped[str | None] = mapped_column(String(32))
    start_date: Mapped[date | None]
    start_attrs: Mapped[dict[str, Any] | None] = mapped_column(JsonType)
    start_partner_id: Mapped[uuid.UUID | None]
    start_version: Mapped[str | None] = mapped_column(VERSION)
    end_date: Mapped[date | None]
    end_attrs: Mapped[dict[str, Any] | None] = mapped_column(JsonType)
    end_partner_id: Mapped[uuid.UUID | None]
    # The CloudEvent id of the ending event (the `relapse` dedupe key).
    end_event_id: Mapped[str | None] = mapped_column(String(200))
    end_version: Mapped[str | None] = mapped_column(VERSION)


class Fact(Base):
    """Dated point facts: qualification, mbo application, support contact, transition plan, life domains."""

    __tablename__ = "facts"
    __table_args__ = (Index(None, "youth_id", "kind"),)

    event_seq: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    youth_id: Mapped[uuid.UUID]
    kind: Mapped[str] = mapped_column(String(24))
    date: Mapped[date]
    partner_id: Mapped[uuid.UUID]
    # The qualification, the contact channel: the one attribute rules and reports filter on.
    code: Mapped[str | None] = mapped_column(String(24))
    attrs: Mapped[dict[str, Any]] = mapped_column(JsonType)
