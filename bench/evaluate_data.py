# SPDX-License-Identifier: EUPL-1.2
"""Synthetic youths with a year of history (2025-11 .. 2026-11), written straight into the projection tables.

Generated, not replayed through intake (the HTTP API would take hours for 100,000 youths; the simulator will
replace this): per youth, in Python with one seeded `random.Random`, the youth, birth date, registration,
enrolments (vo/pro/vso/vavo/mbo/hbo/wo, some ended by diploma, transfer or dropout), employment, benefit,
care (Jeugdwet, Wmo), support trajectories ending with an outcome, and point facts (qualifications, mbo
applications, contacts, transition plans), each with the event that carries it, all written with COPY. The
weekly absence reports (about 40 lesweken per enrolled youth) are expanded in one set-based INSERT ... SELECT
from per-enrolment spans, with hours drawn from a seeded hash of (youth, week).

Every projected row carries a version "<UTC time>|<source>|<event id>" (as `services.intake.projection`).
Registrations, facts, enrolments, enrolment ends, episodes and the absence weeks of youths with more than
incidental absence have their event in `events` (so a signal's evidence resolves); the absence weeks of
youths with low absence, which never fire a rule, do not (about 3.5 M events fewer to generate).
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import psycopg
from psycopg.types.json import Jsonb

DAY = date(2026, 11, 20)  # the evaluation date D
HISTORY_START = date(2025, 11, 1)
ABSENCE_FIRST = date(2025, 11, 3)  # the first Monday of the history
ABSENCE_LAST = date(2026, 11, 9)  # the last full week before the week of D
SCHOOL_YEAR_2025 = date(2025, 8, 18)
SCHOOL_YEAR_2026 = date(2026, 8, 17)
REPORTING_SECTORS = frozenset({"vo", "pro", "vso", "vavo", "mbo"})

# The BRINs of the school partner with their holiday regions.
BRINS: dict[str, str] = {
    "10AA": "midden",
    "11BB": "midden",
    "12CC": "midden",
    "13DD": "midden",
    "14EE": "noord",
    "15FF": "noord",
    "16GG": "zuid",
    "17HH": "zuid",
}
ROLES = ("municipality", "school", "leerplicht", "doorstroompunt", "youth-care", "youth-coach", "social-services")
SCHEDULED = {"vo": 28.0, "pro": 26.0, "vso": 24.0, "vavo": 20.0, "mbo": 20.0, "bbl": 8.0}
MAX_GRADE = {
    "vmbo-bb": 4,
    "vmbo-kb": 4,
    "vmbo-gt": 4,
    "havo": 5,
    "vwo": 6,
    "pro": 5,
    "vso": 6,
    "mbo-1": 1,
    "mbo-2": 2,
    "mbo-3": 3,
    "mbo-4": 4,
    "hbo": 4,
    "wo": 3,
}
SQ_CODES = ("havo", "vwo", "mbo-2", "mbo-3", "mbo-4", "hbo")
OUTCOMES = ("education", "work", "education-and-work", "no-contact", "moved", "other")
OUTCOME_WEIGHTS = (30, 35, 5, 15, 5, 10)
FACT_TYPES = {
    "qualification": "education.qualified",
    "mbo-application": "education.mbo-applied",
    "contact": "support.contact",
    "transition-plan": "support.transition-plan",
}
EPISODE_TYPES = {
    "employment": ("work.employment-started", "work.employment-ended"),
    "benefit": ("income.benefit-started", "income.benefit-ended"),
    "care": ("care.started", "care.ended"),
    "trajectory": ("support.trajectory-started", "support.trajectory-ended"),
}


@dataclass(frozen=True)
class Partner:
    role: str
    id: uuid.UUID
    source: str


def version(moment: datetime, source: str, event_id: str) -> str:
    """As `services.intake.projection.version_of` for a UTC time."""
    return f"{moment:%Y-%m-%dT%H:%M:%S}.000000Z|{source}|{event_id}"


def at(day: date, hour: int = 8) -> datetime:
    return datetime.combine(day, time(hour, 0), UTC)


def add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def age_on(birth: date, day: date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def monday_on_or_after(day: date) -> date:
    return day + timedelta(days=(7 - day.weekday()) % 7)


def monday_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


@dataclass
class State:
    """One `education.enrolled` state."""

    start: date
    sector: str
    track: str
    grade: int
    pathway: str | None = None
    outflow: str | None = None


@dataclass
class Rows:
    youths: list[tuple[Any, ...]] = field(default_factory=list)
    profiles: list[tuple[Any, ...]] = field(default_factory=list)
    events: list[tuple[Any, ...]] = field(default_factory=list)
    registrations: list[tuple[Any, ...]] = field(default_factory=list)
    periods: list[tuple[Any, ...]] = field(default_factory=list)
    ends: list[tuple[Any, ...]] = field(default_factory=list)
    episodes: list[tuple[Any, ...]] = field(default_factory=list)
    facts: list[tuple[Any, ...]] = field(default_factory=list)
    spans: list[tuple[Any, ...]] = field(default_factory=list)


class Generator:
    """Rows for youths 1..n, deterministic for a seed."""

    def __init__(self, partners: dict[str, Partner], batch_id: int, seed: int) -> None:
        self.p = partners
        self.batch_id = batch_id
        self.rng = random.Random(seed)
        self.rows = Rows()
        self.seq = 0
        self.brins = list(BRINS)

    # -- events -------------------------------------------------------------------------------------------
    def event(
        self, role: str, event_id: str, type_: str, day: date, youth: uuid.UUID, birth: date | None = None
    ) -> tuple[int, str]:
        """Store one event (explicit seq); return its seq and the version of what it projects."""
        self.seq += 1
        partner = self.p[role]
        moment = at(day)
        self.rows.events.append(
            (
                self.seq,
                partner.source,
                event_id,
                type_,
                moment,
                partner.id,
                youth,
                self.batch_id,
                moment + timedelta(minutes=5),
                Jsonb({}),
                birth,
                False,
            )
        )
        return self.seq, version(moment, partner.source, event_id)

    # -- one youth ----------------------------------------------------------------------------------------
    def youth(self, i: int) -> None:
        rng = self.rng
        yid = uuid.UUID(bytes=rng.randbytes(16), version=4)
        birth = add_years(DAY, -(11 + rng.randrange(18))) - timedelta(days=rng.randrange(365))
        age = age_on(birth, DAY)
        self.rows.youths.append((yid, rng.randbytes(32), "bsn", None, datetime(2025, 10, 1, tzinfo=UTC)))
        since = birth if rng.random() > 0.03 else HISTORY_START + timedelta(days=rng.randrange(365))
        reg_day = max(since, date(2025, 10, 1))
        seq, ver = self.event("municipality", f"reg-{i}", "person.registered", reg_day, yid, birth)
        self.rows.registrations.append((seq, yid, "registered", since, "GM0599", None, ver))
        self.rows.profiles.append((yid, birth, 2, ver))

        sector = self._sector(age)
        absence_profile = self._absence_profile()
        if sector == "none":
            self._not_enrolled(i, yid, age, absence_profile)
        else:
            self._enrolled(i, yid, age, sector, absence_profile)
        self._episodes(i, yid, birth, age, sector)

    def _sector(self, age: int) -> str:
        u = self.rng.random()
        table: Sequence[tuple[float, str]]
        if age < 12:
            return "none"  # primary school: not reported
        if age <= 15:
            table = ((0.905, "vo"), (0.945, "pro"), (0.995, "vso"))
        elif age <= 17:
            table = ((0.55, "vo"), (0.91, "mbo"), (0.94, "pro"), (0.98, "vso"), (0.99, "vavo"))
        elif age <= 22:
            table = ((0.38, "mbo"), (0.65, "hbo"), (0.77, "wo"), (0.78, "vavo"))
        else:
            table = ((0.08, "hbo"), (0.15, "wo"), (0.18, "mbo"))
        return next((name for limit, name in table if u < limit), "none")

    def _absence_profile(self) -> tuple[str, date | None]:
        """low (93%), a bad patch of 5 weeks (4%, half of them recent), chronic (2%), thuiszitter (1%)."""
        rng = self.rng
        u = rng.random()
        if u < 0.93:
            return "low", None
        if u < 0.97:
            if rng.random() < 0.5:
                return "patch", date(2026, 9, 28) + timedelta(weeks=rng.randrange(5))
            return "patch", date(2025, 11, 10) + timedelta(weeks=rng.randrange(45))
        if u < 0.99:
            return "chronic", None
        return "thuis", date(2026, 6, 1) + timedelta(weeks=rng.randrange(21))

    def _track(self, sector: str) -> str:
        u = self.rng.random()
        if sector == "vo":
            return (
                "vmbo-bb"
                if u < 0.12
                else "vmbo-kb"
                if u < 0.26
                else "vmbo-gt"
                if u < 0.5
                else "havo"
                if u < 0.75
                else "vwo"
            )
        if sector == "vavo":
            return "havo" if u < 0.5 else "vwo"
        if sector == "mbo":
            return "mbo-1" if u < 0.05 else "mbo-2" if u < 0.25 else "mbo-3" if u < 0.55 else "mbo-4"
        return sector

    def _enrolment(
        self,
        i: int,
        yid: uuid.UUID,
        number: int,
        brin: str,
        states: list[State],
        end: tuple[date, str] | None,
        absence: tuple[str, date | None],
    ) -> None:
        school = self.p["school"]
        episode = f"inschrijving-{i}-{number}"
        for k, state in enumerate(states):
            _, ver = self.event(
                "school", f"enr-{i}-{number}-{k}", "education.enrolled", state.start - timedelta(days=14), yid
            )
            final = state.grade >= MAX_GRADE[state.track]
            self.rows.periods.append(
                (yid, school.source, episode, state.start, school.id, brin, state.sector, state.track, state.pathway,
                 state.grade, final, state.outflow, ver)
            )  # fmt: skip
            until = states[k + 1].start - timedelta(days=1) if k + 1 < len(states) else (end[0] if end else None)
            if state.sector in REPORTING_SECTORS:
                first = monday_on_or_after(max(state.start, ABSENCE_FIRST))
                last = monday_of(min(until, ABSENCE_LAST)) if until else ABSENCE_LAST
                if first <= last:
                    hours = SCHEDULED["bbl" if state.pathway == "bbl" else state.sector]
                    self.rows.spans.append((yid, i, brin, first, last, hours, absence[0], absence[1]))
        if end is not None:
            _, ver = self.event("school", f"end-{i}-{number}", "education.unenrolled", end[0] + timedelta(days=2), yid)
            self.rows.ends.append((yid, school.source, episode, brin, end[0], end[1], ver))

    def _fact(self, role: str, i: int, name: str, kind: str, day: date, yid: uuid.UUID, code: str | None) -> None:
        seq, _ = self.event(role, f"{name}-{i}", FACT_TYPES[kind], day, yid)
        self.rows.facts.append((seq, yid, kind, day, self.p[role].id, code, Jsonb({})))

    def _enrolled(self, i: int, yid: uuid.UUID, age: int, sector: str, absence: tuple[str, date | None]) -> None:
        rng = self.rng
        track = self._track(sector)
        top = MAX_GRADE[track]
        if sector in ("vo", "pro", "vso"):
            grade = min(max(age - 11, 1), top)
        else:
            grade = 1 + rng.randrange(top)
        pathway = ("bol" if rng.random() < 0.8 else "bbl") if sector == "mbo" else None
        outflow = None
        if sector == "pro":
            outflow = "arbeidsmarkt" if rng.random() < 0.6 else "vervolgonderwijs"
        elif sector == "vso":
            u = rng.random()
            outflow = "vervolgonderwijs" if u < 0.4 else "arbeidsmarkt" if u < 0.7 else "dagbesteding"
        b1 = rng.randrange(len(self.brins))
        brin1, brin2 = self.brins[b1], self.brins[(b1 + 1 + rng.randrange(len(self.brins) - 1)) % len(self.brins)]
        previous = grade if rng.random() < 0.04 else grade - 1  # 4% repeat the grade
        current = State(SCHOOL_YEAR_2026, sector, track, grade, pathway, outflow)

        if sector in ("mbo", "hbo", "wo") and grade == 1:
            # Moved on this summer: a diploma of the previous school, then the new enrolment.
            if sector == "mbo":
                prior = State(SCHOOL_YEAR_2025, "vo", rng.choice(("vmbo-bb", "vmbo-kb", "vmbo-gt")), 4)
                if rng.random() < 0.95:
                    self._fact(
                        "school",
                        i,
                        "mbo-applied",
                        "mbo-application",
                        date(2026, 2, 1) + timedelta(days=rng.randrange(59)),
                        yid,
                        None,
                    )
            elif sector == "hbo" and age >= 19:
                prior = State(SCHOOL_YEAR_2025, "mbo", "mbo-4", 4, "bol")
            else:
                prior = State(SCHOOL_YEAR_2025, "vo", "havo" if sector == "hbo" else "vwo", 5 if sector == "hbo" else 6)
            diploma = date(2026, 7, 3) + timedelta(days=rng.randrange(10))
            self._enrolment(i, yid, 1, brin1, [prior], (diploma, "diploma"), absence)
            self._fact("school", i, "qualified", "qualification", diploma, yid, prior.track)
            self._enrolment(i, yid, 2, brin2, [replace_start(current, date(2026, 8, 24))], None, absence)
            return

        states = [State(SCHOOL_YEAR_2025, sector, track, previous, pathway, outflow)] if previous >= 1 else []
        states.append(current)
        u = rng.random()
        if u < 0.04:  # a transfer to another school
            if previous >= 1:
                moved = date(2025, 12, 1) + timedelta(days=rng.randrange(180))
            else:
                moved = date(2026, 9, 7) + timedelta(days=rng.randrange(54))
            before = [s for s in states if s.start <= moved]
            after = [replace_start(before[-1], moved + timedelta(days=1))] + [s for s in states if s.start > moved]
            self._enrolment(i, yid, 1, brin1, before, (moved, "transfer"), absence)
            self._enrolment(i, yid, 2, brin2, after, None, absence)
        elif u < 0.07:  # dropout, 40% enrol again somewhere else
            first = date(2026, 1, 5) if previous >= 1 else date(2026, 9, 7)
            left = first + timedelta(days=rng.randrange((date(2026, 11, 1) - first).days))
            self._enrolment(i, yid, 1, brin1, [s for s in states if s.start <= left], (left, "dropout"), absence)
            again = left + timedelta(days=30 + rng.randrange(60))
            if rng.random() < 0.4 and again <= DAY - timedelta(days=7):
                state = State(again, "mbo", "mbo-2", 1, "bol") if age >= 16 else replace_start(states[-1], again)
                self._enrolment(i, yid, 2, brin2, [state], None, absence)
        else:
            self._enrolment(i, yid, 1, brin1, states, None, absence)

    def _not_enrolled(self, i: int, yid: uuid.UUID, age: int, absence: tuple[str, date | None]) -> None:
        """A youth without an enrolment on D: a primary-school child, a thuiszitter (under 18), or an adult
        with (88%) or without a startkwalificatie, aged 18-22 with an enrolment that ended in 2025 or 2026."""
        rng = self.rng
        if age < 18:
            return
        qualified = rng.random() < 0.88
        code = rng.choice(SQ_CODES) if qualified else ("mbo-1" if rng.random() < 0.5 else None)
        if age <= 22:
            left = date(2025, 7, 4) if rng.random() < 0.5 else date(2026, 7, 3)
            if code in ("havo", "vwo"):
                states = [State(date(2024, 8, 19), "vo", code, MAX_GRADE[code] - 1)]
            elif code == "hbo":
                states = [State(date(2024, 8, 19), "hbo", "hbo", 3)]
            else:
                track = code or "mbo-2"
                states = [State(date(2024, 8, 19), "mbo", track, max(MAX_GRADE[track] - 1, 1), "bol")]
            if left.year == 2026:
                last = states[0]
                states.append(State(date(2025, 8, 18), last.sector, last.track, MAX_GRADE[last.track], last.pathway))
            b = self.brins[rng.randrange(len(self.brins))]
            self._enrolment(i, yid, 1, b, states, (left, "diploma" if code else "dropout"), absence)
            day = left
        else:
            day = date(2018 + rng.randrange(8), 7, 5)
        if code is not None:
            self._fact("school", i, "qualified", "qualification", day, yid, code)

    def _episode(
        self,
        role: str,
        i: int,
        yid: uuid.UUID,
        kind: str,
        number: int,
        category: str | None,
        start: date,
        end: date | None,
        end_attrs: dict[str, Any] | None = None,
    ) -> None:
        start_type, end_type = EPISODE_TYPES[kind]
        partner = self.p[role]
        episode = f"{kind}-{i}-{number}"
        _, start_ver = self.event(role, f"{episode}-s", start_type, start, yid)
        end_ver = end_id = None
        if end is not None:
            end_id = f"{episode}-e"
            _, end_ver = self.event(role, end_id, end_type, end, yid)
        self.rows.episodes.append(
            (yid, kind, partner.source, episode, category, start, Jsonb({}), partner.id, start_ver, end,
             Jsonb(end_attrs or {}) if end else None, partner.id if end else None, end_id, end_ver)
        )  # fmt: skip

    def _episodes(self, i: int, yid: uuid.UUID, birth: date, age: int, sector: str) -> None:
        rng = self.rng
        yesterday = DAY - timedelta(days=1)
        number = 0

        def nxt() -> int:
            nonlocal number
            number += 1
            return number

        # Support trajectories (youth coach), 5% of 16-26.
        in_trajectory = False
        if 16 <= age <= 26 and rng.random() < 0.05:
            in_trajectory = True
            start = HISTORY_START + timedelta(days=rng.randrange(304))
            end = start + timedelta(days=60 + rng.randrange(140)) if rng.random() < 0.55 else None
            if end is not None and end > yesterday:
                end = None
            outcome = rng.choices(OUTCOMES, OUTCOME_WEIGHTS)[0] if end else None
            self._episode("youth-coach", i, yid, "trajectory", nxt(), None, start, end, {"outcome": outcome})
            for n, offset in enumerate((14, 45, 90)):
                day = start + timedelta(days=offset)
                if day <= min(end or DAY, DAY):
                    self._fact("youth-coach", i, f"contact{n}", "contact", day, yid, "in-person")
            if end is not None and outcome == "work" and sector == "none":
                job = end + timedelta(days=7)
                job_end = job + timedelta(days=30 + rng.randrange(120)) if rng.random() < 0.35 else None
                if job <= yesterday:
                    self._episode(
                        "social-services",
                        i,
                        yid,
                        "employment",
                        nxt(),
                        None,
                        job,
                        job_end if job_end and job_end <= yesterday else None,
                    )

        # Work and income.
        if sector == "none" and age >= 18 and not in_trajectory:
            u = rng.random()
            if u < 0.78:
                self._episode(
                    "social-services",
                    i,
                    yid,
                    "employment",
                    nxt(),
                    None,
                    date(2019, 1, 1) + timedelta(days=rng.randrange(2800)),
                    None,
                )
            elif u < 0.86:
                start = date(2022, 1, 1) + timedelta(days=rng.randrange(1400))
                self._episode(
                    "social-services",
                    i,
                    yid,
                    "employment",
                    nxt(),
                    None,
                    start,
                    date(2026, 2, 1) + timedelta(days=rng.randrange(256)),
                )
            elif u < 0.91:
                self._episode(
                    "social-services",
                    i,
                    yid,
                    "benefit",
                    nxt(),
                    "participatiewet",
                    date(2023, 1, 1) + timedelta(days=rng.randrange(1000)),
                    None,
                )
            elif u < 0.94:
                self._fact(
                    "youth-coach",
                    i,
                    "contact",
                    "contact",
                    DAY - timedelta(days=1 + rng.randrange(120)),
                    yid,
                    "outreach",
                )
        elif sector != "none" and age >= 16 and rng.random() < 0.25:
            self._episode(
                "social-services",
                i,
                yid,
                "employment",
                nxt(),
                None,
                date(2024, 1, 1) + timedelta(days=rng.randrange(1000)),
                None,
            )

        # Care: Jeugdwet for 8% of 12-21 (ending around the 18th birthday), Wmo for 2% of adults.
        eighteen = add_years(birth, 18)
        if 12 <= age <= 21 and rng.random() < 0.08:
            start = max(add_years(birth, 10), date(2018, 1, 1)) + timedelta(days=rng.randrange(1500))
            start = min(start, date(2026, 6, 1))
            care_end: date | None = None
            if age >= 17 and rng.random() < 0.75:
                care_end = eighteen + timedelta(days=rng.randrange(-90, 91))
            elif age < 17 and rng.random() < 0.15:
                care_end = date(2026, 1, 1) + timedelta(days=rng.randrange(300))
            if care_end is not None and (care_end > yesterday or care_end <= start):
                care_end = None
            self._episode("youth-care", i, yid, "care", nxt(), "jeugdwet", start, care_end)
            if age >= 17 and rng.random() < 0.6:
                plan = eighteen - timedelta(days=30 + rng.randrange(240))
                if plan <= DAY:
                    self._fact("youth-care", i, "plan", "transition-plan", plan, yid, None)
            if care_end is not None and age >= 17 and rng.random() < 0.4:
                self._episode(
                    "youth-care", i, yid, "care", nxt(), "wmo", care_end + timedelta(days=1 + rng.randrange(20)), None
                )
        elif age >= 18 and rng.random() < 0.02:
            self._episode(
                "youth-care", i, yid, "care", nxt(), "wmo", date(2022, 1, 1) + timedelta(days=rng.randrange(1400)), None
            )


def replace_start(state: State, start: date) -> State:
    return State(start, state.sector, state.track, state.grade, state.pathway, state.outflow)


def holiday_weeks() -> list[tuple[str, date]]:
    """(region, Monday) of the school-holiday weeks in the history, from the shipped calendar."""
    from services.core.calendar import is_holiday_week

    weeks = []
    week = ABSENCE_FIRST
    while week <= ABSENCE_LAST:
        for region in ("noord", "midden", "zuid"):
            if is_holiday_week(week, region):  # type: ignore[arg-type]
                weeks.append((region, week))
        week += timedelta(weeks=1)
    return weeks


COPIES: dict[str, str] = {
    "youths": "COPY youths (id, pseudonym, identifier_kind, identifier_ciphertext, created_at) FROM STDIN",
    "events": (
        "COPY events (seq, source, event_id, type, time, partner_id, youth_id, batch_id, received_at, data,"
        " birth_date, retracted) FROM STDIN"
    ),
    "profiles": "COPY youth_profiles (youth_id, birth_date, birth_date_rank, birth_date_version) FROM STDIN",
    "registrations": (
        "COPY registrations (event_seq, youth_id, kind, date, district_code, reason, version) FROM STDIN"
    ),
    "periods": (
        "COPY enrolment_periods (youth_id, source, episode_id, start_date, partner_id, brin, sector, track,"
        " pathway, grade, final_year, outflow_profile, version) FROM STDIN"
    ),
    "ends": "COPY enrolment_ends (youth_id, source, episode_id, brin, end_date, reason, version) FROM STDIN",
    "episodes": (
        "COPY episodes (youth_id, kind, source, episode_id, category, start_date, start_attrs, start_partner_id,"
        " start_version, end_date, end_attrs, end_partner_id, end_event_id, end_version) FROM STDIN"
    ),
    "facts": "COPY facts (event_seq, youth_id, kind, date, partner_id, code, attrs) FROM STDIN",
    "spans": "COPY bench_span (youth_id, n, brin, first_week, last_week, scheduled, profile, from_week) FROM STDIN",
}

# A uniform [0, 1) from a seeded hash: the same (key, salt) gives the same number on every run.
RANDOM_SQL = """
CREATE FUNCTION pg_temp.bench_r(key bigint, salt bigint) RETURNS float8 LANGUAGE sql IMMUTABLE PARALLEL SAFE AS
$$ SELECT ((hashint8extended(key, salt) >> 11) & 9007199254740991)::float8 / 9007199254740992.0 $$
"""

# Weekly reports for every lesweek of every span; hours by profile: low (a 1-3 hour week now and then,
# never 16 in 4 weeks), patch (4-8 hours for 5 weeks), chronic (2-7 hours every week), thuis (every
# scheduled hour from `from_week` on).
ABSENCE_SQL = """
INSERT INTO absence_weeks (youth_id, brin, week_start, scheduled_hours, unauthorized_hours, authorized_hours,
                           version)
SELECT youth_id, brin, week, scheduled, unauthorized,
       CASE WHEN unauthorized < scheduled AND pg_temp.bench_r(k, 23) < 0.15
            THEN least(scheduled - unauthorized, 1 + floor(pg_temp.bench_r(k, 24) * 6)) ELSE 0 END,
       to_char(week + 7, 'YYYY-MM-DD') || 'T07:00:00.000000Z|' || %(source)s || '|abs-' || n || '-' || brin
           || '-' || to_char(week, 'YYYYMMDD')
FROM (
    SELECT s.youth_id, s.n, s.brin, w.week::date AS week, s.scheduled, k,
           CASE
               WHEN s.profile = 'thuis' AND w.week >= s.from_week THEN s.scheduled
               WHEN s.profile = 'chronic' THEN 2 + floor(pg_temp.bench_r(k, 21) * 6)
               WHEN s.profile = 'patch' AND w.week >= s.from_week AND w.week < s.from_week + 35
                   THEN 4 + floor(pg_temp.bench_r(k, 21) * 5)
               WHEN pg_temp.bench_r(k, 22) < 0.12 THEN 1 + floor(pg_temp.bench_r(k, 21) * 3)
               ELSE 0
           END AS unauthorized
    FROM bench_span s
    JOIN partner_brins b ON b.brin = s.brin
    CROSS JOIN LATERAL generate_series(s.first_week, s.last_week, interval '7 days') AS w(week)
    CROSS JOIN LATERAL (SELECT s.n::bigint * 64 + (w.week::date - DATE '2025-11-03') / 7 AS k) AS key
    WHERE NOT EXISTS (SELECT 1 FROM bench_holiday h WHERE h.region = b.holiday_region AND h.week = w.week)
) AS weeks
ON CONFLICT DO NOTHING
"""

# The events behind the absence weeks of youths with more than incidental absence.
ABSENCE_EVENTS_SQL = """
INSERT INTO events (source, event_id, type, time, partner_id, youth_id, batch_id, received_at, data, birth_date,
                    retracted)
SELECT %(source)s, split_part(a.version, '|', 3), 'education.absence-reported',
       (a.week_start + 7 + time '07:00') AT TIME ZONE 'UTC', %(partner)s, a.youth_id, %(batch)s,
       (a.week_start + 7 + time '07:05') AT TIME ZONE 'UTC', '{}'::jsonb, NULL, false
FROM absence_weeks a
WHERE a.youth_id IN (SELECT youth_id FROM bench_span WHERE profile <> 'low')
ORDER BY a.week_start
"""


def generate(dsn: str, partners: dict[str, Partner], youths: int, seed: int = 20261120) -> dict[str, float]:
    """Fill the (migrated, partnered) database at `dsn`; returns row counts and the seconds it took."""
    import time as clock

    started = clock.perf_counter()
    with psycopg.connect(dsn) as conn, conn.cursor() as cur:
        cur.execute("SET synchronous_commit = off")
        now = datetime(2026, 11, 19, 23, 0, tzinfo=UTC)
        row = cur.execute(
            "INSERT INTO event_batches (partner_id, received_at, event_count, raise_signals, evaluated_at)"
            " VALUES (%s, %s, 0, true, %s) RETURNING id",
            (partners["municipality"].id, now, now),
        ).fetchone()
        assert row is not None
        batch_id = int(row[0])
        generator = Generator(partners, batch_id, seed)
        for i in range(1, youths + 1):
            generator.youth(i)
        rows = generator.rows
        python_done = clock.perf_counter()
        cur.execute(RANDOM_SQL)
        cur.execute(
            "CREATE TEMP TABLE bench_span (youth_id uuid, n int, brin text, first_week date, last_week date,"
            " scheduled float8, profile text, from_week date)"
        )
        cur.execute("CREATE TEMP TABLE bench_holiday (region text, week date)")
        with cur.copy("COPY bench_holiday (region, week) FROM STDIN") as copy:
            for item in holiday_weeks():
                copy.write_row(item)
        for table in ("youths", "events", "profiles", "registrations", "periods", "ends", "episodes", "facts", "spans"):
            with cur.copy(COPIES[table]) as copy:
                for item in getattr(rows, table):
                    copy.write_row(item)
        cur.execute("SELECT setval(pg_get_serial_sequence('events', 'seq'), %s)", (generator.seq,))
        school = partners["school"]
        cur.execute(ABSENCE_SQL, {"source": school.source})
        absence = cur.rowcount
        cur.execute(ABSENCE_EVENTS_SQL, {"source": school.source, "partner": school.id, "batch": batch_id})
        absence_events = cur.rowcount
        cur.execute("UPDATE event_batches SET event_count = (SELECT count(*) FROM events) WHERE id = %s", (batch_id,))
        conn.commit()
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("VACUUM (FREEZE, ANALYZE)")
    return {
        "youths": youths,
        "events": len(rows.events) + absence_events,
        "registrations": len(rows.registrations),
        "enrolment_periods": len(rows.periods),
        "enrolment_ends": len(rows.ends),
        "episodes": len(rows.episodes),
        "facts": len(rows.facts),
        "absence_weeks": absence,
        "absence_events": absence_events,
        "python_seconds": python_done - started,
        "seconds": clock.perf_counter() - started,
    }
