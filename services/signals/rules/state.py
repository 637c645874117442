# SPDX-License-Identifier: EUPL-1.2
"""A youth's state as the rules see it: plain, immutable values loaded in bulk, no database and no clock.

Every fact keeps a reference to the event that carries it (`ref`), so that a signal can name the events it
rests on (a retraction dismisses signals that rested only on retracted events).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property

from services.core.calendar import Region, age_on

# An event: its sequence number, or the version "<UTC time>|<source>|<id>" of a projected row, which names the
# event; it is parsed only for the few facts that end up as a signal's evidence.
EventRef = int | str

STARTKWALIFICATIE_LEVELS = frozenset({"havo", "vwo", "mbo-2", "mbo-3", "mbo-4", "hbo", "wo"})
# An enrolment in hbo or wo requires a startkwalificatie (domain.md, "Startkwalificatie").
HIGHER_EDUCATION = frozenset({"hbo", "wo"})
ACTIVE_STATUSES = frozenset({"open", "acknowledged"})


def ref_of_version(version: str) -> tuple[str, str]:
    """(source, event id) out of a projection version "<UTC time>|<source>|<event id>"."""
    _, source, event_id = version.split("|", 2)
    return source, event_id


@dataclass(frozen=True)
class EnrolmentPeriod:
    """One `education.enrolled` state of an enrolment, active from `start` through `end` (inclusive)."""

    source: str
    episode_id: str
    start: date
    end: date | None
    partner_id: uuid.UUID
    brin: str
    region: Region
    sector: str
    track: str
    grade: int
    final_year: bool
    outflow_profile: str | None
    end_reason: str | None
    refs: tuple[EventRef, ...]

    def active_on(self, day: date) -> bool:
        return self.start <= day and (self.end is None or day <= self.end)


@dataclass(frozen=True)
class AbsenceWeek:
    brin: str
    region: Region
    week: date
    scheduled: float
    unauthorized: float
    ref: EventRef


@dataclass(frozen=True)
class Episode:
    """An exemption, employment, benefit, care or trajectory episode (end inclusive; start may be unknown)."""

    kind: str
    source: str
    episode_id: str
    category: str | None
    start: date | None
    end: date | None
    start_partner_id: uuid.UUID | None
    end_partner_id: uuid.UUID | None
    end_attrs: dict[str, object] | None
    end_event_id: str | None
    refs: tuple[EventRef, ...]

    def active_on(self, day: date) -> bool:
        return self.start is not None and self.start <= day and (self.end is None or day <= self.end)

    def overlaps(self, first: date, last: date) -> bool:
        return self.start is not None and self.start <= last and (self.end is None or self.end >= first)


@dataclass(frozen=True)
class PointFact:
    """A dated fact: qualification, mbo application, contact, transition plan, life-domain assessment."""

    kind: str
    day: date
    code: str | None
    partner_id: uuid.UUID
    ref: EventRef


@dataclass(frozen=True)
class Registration:
    registered: bool
    day: date
    district: str | None
    ref: EventRef
    order: str


@dataclass(frozen=True)
class ExistingSignal:
    type: str
    dedupe_key: str
    status: str
    raised_on: date

    @property
    def active(self) -> bool:
        return self.status in ACTIVE_STATUSES


@dataclass(frozen=True)
class YouthState:
    youth_id: uuid.UUID
    birth_date: date | None
    registrations: tuple[Registration, ...] = ()
    enrolments: tuple[EnrolmentPeriod, ...] = ()
    absence: tuple[AbsenceWeek, ...] = ()
    episodes: tuple[Episode, ...] = ()
    facts: tuple[PointFact, ...] = ()
    signals: tuple[ExistingSignal, ...] = ()
    accountable_partner: uuid.UUID | None = None
    accountable_roles: frozenset[str] = frozenset()
    # What several rules derive from the same state (lesweek sequences): computed once, never compared.
    memo: dict[object, object] = field(default_factory=dict, init=False, repr=False, compare=False, hash=False)

    # -- who and when -------------------------------------------------------------------------------------
    def registration_on(self, day: date) -> Registration | None:
        """The latest registration fact dated on or before `day` decides (ADR 0010)."""
        latest = None
        for registration in sorted(self.registrations, key=lambda r: (r.day, r.order)):
            if registration.day > day:
                break
            latest = registration
        return latest

    def registered_on(self, day: date) -> bool:
        registration = self.registration_on(day)
        return registration is not None and registration.registered

    def age_on(self, day: date) -> int | None:
        """Whole years on `day`; None without a birth date, or before it (a replay of an earlier date)."""
        if self.birth_date is None or day < self.birth_date:
            return None
        return age_on(self.birth_date, day)

    def in_target_group(self, day: date) -> bool:
        """Registered, and 12 <= age < 27 when the birth date is known (domain.md, "Who and when").

        Without a birth date the youth stays in view for the rules that need no age; age rules do not fire.
        """
        if not self.registered_on(day) or (self.birth_date is not None and day < self.birth_date):
            return False
        age = self.age_on(day)
        return age is None or 12 <= age < 27

    # -- education ----------------------------------------------------------------------------------------
    @cached_property
    def startkwalificatie_date(self) -> date | None:
        """The first day with a startkwalificatie: a diploma of that level, or the start of an hbo/wo enrolment."""
        days = [f.day for f in self.facts if f.kind == "qualification" and f.code in STARTKWALIFICATIE_LEVELS]
        days += [e.start for e in self.enrolments if e.sector in HIGHER_EDUCATION]
        return min(days, default=None)

    def has_startkwalificatie(self, day: date) -> bool:
        first = self.startkwalificatie_date
        return first is not None and first <= day

    def enrolments_on(self, day: date) -> list[EnrolmentPeriod]:
        return [e for e in self.enrolments if e.active_on(day)]

    def current_enrolment(self, day: date) -> EnrolmentPeriod | None:
        """The active enrolment that started last: "the school of the current enrolment"."""
        active = self.enrolments_on(day)
        return max(active, key=lambda e: (e.start, e.source, e.episode_id)) if active else None

    def enrolled_on(self, day: date) -> bool:
        return any(e.active_on(day) for e in self.enrolments)

    def first_registered_day(self, day: date) -> date | None:
        """The first day of the registration that holds on `day` (the start of an inactivity run with no
        earlier activity)."""
        first: date | None = None
        for registration in sorted(self.registrations, key=lambda r: (r.day, r.order)):
            if registration.day > day:
                break
            if not registration.registered:
                first = None
            elif first is None:
                # A later `person.registered` without a deregistration between (a move within the
                # municipality) continues the same registration: the run start must not move with it.
                first = registration.day
        return first

    # -- episodes and facts -------------------------------------------------------------------------------
    def episodes_of(self, kind: str) -> list[Episode]:
        return [e for e in self.episodes if e.kind == kind]

    def exempted_on(self, day: date) -> bool:
        return any(e.active_on(day) for e in self.episodes_of("exemption"))

    def facts_of(self, kind: str) -> list[PointFact]:
        return [f for f in self.facts if f.kind == kind]

    def signal(self, type_: str, dedupe_key: str) -> ExistingSignal | None:
        for existing in self.signals:
            if existing.type == type_ and existing.dedupe_key == dedupe_key:
                return existing
        return None

    def has_active_signal(self, exclude_type: str | None = None) -> bool:
        return any(s.active and s.type != exclude_type for s in self.signals)
