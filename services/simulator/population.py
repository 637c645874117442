# SPDX-License-Identifier: EUPL-1.2
"""The synthetic youths: birth dates, districts, fake BSNs and the state the simulation moves along.

Nothing here is about a real person: BSNs are random numbers that merely pass the elfproef, districts are drawn
from the CBS wijk codes of Dordrecht with illustrative weights. Gender, nationality, ethnicity and religion are
not modelled at all; postcode is not emitted.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta

from services.core.calendar import add_months_clamped
from services.core.identity import elfproef_check_digit

MIN_AGE, MAX_AGE = 12, 26  # the target group: 12 <= age < 27


@dataclass(slots=True)
class Enrolment:
    episode: str
    partner: str  # handle of the posting partner
    brin: str
    sector: str
    track: str
    grade: int
    years: int
    pathway: str | None
    outflow: str | None
    hours: int
    start: date


@dataclass(slots=True)
class Episode:
    """An open episode (care, employment, benefit, trajectory, exemption) as the posting partner knows it."""

    episode: str
    partner: str
    start: date
    kind: str = ""
    detail: str = ""


@dataclass(slots=True, eq=False)
class Youth:
    idx: int
    bsn: str
    birth: date
    district: str
    since: date  # registered in the municipality since
    vo_track: str
    seq: int = 0
    gone: date | None = None  # deregistered on
    # an enrolment's end held back until the next enrolment (or the diploma) has been posted: (partner, data,
    # end date, earliest arrival as an ordinal)
    pending_end: tuple[str, dict[str, object], date, int] | None = None
    edu: Enrolment | None = None
    sk: date | None = None  # startkwalificatie
    last_track: str | None = None  # the last programme finished (with a diploma, or pro/vso)
    last_done: int = -1  # the school year in which it finished
    absence_class: str = "none"
    lta: int = 0  # remaining weeks of a long-term absence run
    lta_weeks: int = 0  # weeks fully absent in the current run
    out_weeks: int = 0  # weeks leerplichtig and not enrolled
    returns: bool = False  # a dropout who re-enrols at the next school year
    applied: bool = False  # education.mbo-applied in this school year
    care: Episode | None = None
    job: Episode | None = None
    benefit: Episode | None = None
    trajectory: Episode | None = None
    exemption: Episode | None = None
    unavailable: bool = False  # not available for work (illness, disability)
    plan: bool = False  # a transition plan for the 18th birthday
    neet_weeks: int = 0
    episodes: int = 0
    # what the calibration check counts
    had_care: bool = False
    cohorts: int = 0  # bits: 1 aged 12-17, 2 early-leaver cohort, 4 leerplichtig or kwalificatieplichtig
    thuiszitter: bool = False

    def age(self, day: date) -> int:
        """Whole years on `day` (a 29 February birthday counts from 1 March: `services.core.calendar.age_on`)."""
        birth = self.birth
        return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))

    def next_episode(self, prefix: str) -> str:
        self.episodes += 1
        return f"{prefix}-{self.idx:06d}-{self.episodes}"

    def active(self, day: date) -> bool:
        """Registered and in the target group on `day`."""
        return self.since <= day and (self.gone is None or day < self.gone) and MIN_AGE <= self.age(day) <= MAX_AGE


def fake_bsn(rng: random.Random, used: set[int]) -> str:
    """A random 9-digit number passing the elfproef, unique in this population (not a real person's)."""
    while True:
        head = rng.randrange(10_000_000, 100_000_000)
        if head in used:
            continue
        check = elfproef_check_digit(f"{head:08d}")
        if check is not None:
            used.add(head)
            return f"{head:08d}{check}"


def birth_date(rng: random.Random, start: date) -> date:
    """Aged 12 to 26 on `start`, uniform over the days (Dordrecht's cohorts 12 to 26 are of similar size)."""
    oldest = add_months_clamped(start, -12 * (MAX_AGE + 1)) + timedelta(days=1)
    youngest = add_months_clamped(start, -12 * MIN_AGE)
    return oldest + timedelta(days=rng.randrange((youngest - oldest).days + 1))


def registered_since(rng: random.Random, birth: date, start: date, months: int, moved_in: float) -> date:
    """Born here (70%), moved in before the period, or (a share `moved_in`) during the period."""
    draw = rng.random()
    if draw < moved_in:
        return start + timedelta(days=rng.randrange(max(1, months * 30)))
    if draw < 0.7:
        return birth
    return birth + timedelta(days=rng.randrange(max(1, (start - birth).days)))
