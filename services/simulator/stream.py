# SPDX-License-Identifier: EUPL-1.2
"""The simulation week by week, streamed: events leave in order of arrival as soon as the clock has passed them.

Memory holds the youths' state (a few hundred bytes each) and the events that have not arrived yet (a few
weeks' worth), never the whole stream. One random source drawn in a fixed order (week by week, youth by youth)
makes a run deterministic for its seed, population size, start and months.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import IO

import orjson

from services.core.calendar import add_months_clamped, is_kwalificatieplichtig, is_leerplichtig, monday_of
from services.simulator import absence, careers, life, params
from services.simulator.calibration import Stats
from services.simulator.emit import PREFIX, Emitter, SimEvent
from services.simulator.population import MAX_AGE, MIN_AGE, Episode, Youth, birth_date, fake_bsn, registered_since
from services.simulator.world import Week, World, week_of

EARLY_LEAVER_SECTORS = frozenset({"vo", "pro", "vso", "vavo", "mbo"})


@dataclass(frozen=True)
class Config:
    youths: int
    start: date
    months: int = 12
    seed: int = 2026

    @property
    def end(self) -> date:
        """The last simulated day (inclusive)."""
        return add_months_clamped(self.start, self.months) - timedelta(days=1)


class Simulation:
    """`events()` yields the stream once; `stats` holds the calibration counts after it."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self.rng = random.Random(config.seed)
        self.em = Emitter(self.rng, config.seed, config.end)
        self.world = World(self.rng, self.em, config.start, config.end)
        self.stats = Stats(months=config.months)
        self.youths: list[Youth] = []
        self.emitted = 0
        self.kinds: Counter[str] = Counter()

    def events(self) -> Iterator[SimEvent]:
        yield from self._count(self._populate())
        start, end = self.config.start, self.config.end
        yield from self._count(self.em.release(monday_of(start)))
        monday = monday_of(start)
        while monday <= end:
            self._week(monday)
            monday += timedelta(days=7)
            yield from self._count(self.em.release(min(monday, end + timedelta(days=1))))
        yield from self._count(self.em.release_all())
        self._measure_end()

    def _count(self, events: Iterator[SimEvent]) -> Iterator[SimEvent]:
        for event in events:
            self.emitted += 1
            self.kinds[event.body["type"][len(PREFIX) :]] += 1
            yield event

    # -- the population and its history up to the start -------------------------------------------------

    def _populate(self) -> Iterator[SimEvent]:
        """The youths, their history, and the go-live load as it is emitted: each youth's facts in the day, the
        BRP registrations in the evening (a youth enters the target group with its facts in place)."""
        w, cfg, em = self.world, self.config, self.em
        em.go_live = (cfg.start - timedelta(days=1)).toordinal()
        day, evening = 12 * 3600, 4 * 3600
        used: set[int] = set()
        codes, weights = params.districts()
        shares = w.a["voTrackShares"]
        tracks, track_weights = list(shares), [float(v) for v in shares.values()]
        moved_in = 0.04 * cfg.months / 12
        for idx in range(cfg.youths):
            em.go_live_second = 7 * 3600 + idx * day // cfg.youths
            birth = birth_date(self.rng, cfg.start)
            youth = Youth(
                idx=idx,
                bsn=fake_bsn(self.rng, used),
                birth=birth,
                district=self.rng.choices(codes, weights)[0],
                since=registered_since(self.rng, birth, cfg.start, cfg.months, moved_in),
                vo_track=self.rng.choices(tracks, track_weights)[0],
            )
            youth.absence_class = absence.absence_class(w)
            history: list[tuple[str, date]] = []
            self._history(youth, history)
            self._initial_load(youth, history)
            self._cohorts(youth)
            self.youths.append(youth)
            yield from em.take_direct()
        for youth in self.youths:
            if youth.since <= cfg.start:
                em.go_live_second = 20 * 3600 + youth.idx * evening // cfg.youths
                self._register(youth, cfg.start - timedelta(days=1))
                yield from em.take_direct()
        em.go_live_second = None

    def _register(self, y: Youth, at: date) -> None:
        registered = {"districtCode": y.district, "since": y.since.isoformat()}
        self.em.emit("municipality", "person.registered", y, y.since, registered, birth_date=True, at=at, evening=True)

    def _history(self, y: Youth, history: list[tuple[str, date]]) -> None:
        """The school career up to the start, year by year, without events."""
        w, start = self.world, self.config.start
        first = careers.vo_entry(y)
        current = start.year if start >= date(start.year, 8, 1) else start.year - 1
        for year in range(first, current + 1):
            if year > first:
                careers.year_end(w, y, week_of(monday_of(date(year, 7, 10))), True, history)
            careers.year_start(w, y, week_of(monday_of(date(year, 8, 1))), True)
            if y.edu is not None and year < current and w.chance(careers.dropout_risk(w, y)):
                careers.dropout(w, y, date(year + 1, 3, 1), silent=True)
        age = y.age(start)
        if y.edu is not None and y.edu.sector == "vso" and age < 18 and w.chance(float(w.a["exemptionShareOfVso"])):
            careers.unenrol(w, y, start, "other", silent=True)  # exempted (art. 5a) instead of at school
            day = start - timedelta(days=w.rng.randrange(30, 900))
            y.exemption = Episode(y.next_episode("vrij"), "leerplicht", max(day, y.birth), "5a")
        if y.edu is not None and y.edu.pathway == "bbl":
            return
        if age >= 16 and not y.unavailable and w.chance(float(w.a["notAvailableForWork"]) * (2 if y.sk else 4)):
            y.unavailable = True
        if y.edu is None and age >= 16 and not y.unavailable:
            share = 0.95 if y.sk else 0.85
            if w.chance(share):
                life.start_job(w, y, start - timedelta(days=w.rng.randrange(30, 700)), silent=True)
        elif y.edu is not None and age >= 16 and w.chance(float(w.a["sideJobShare"])):
            life.start_job(w, y, start - timedelta(days=w.rng.randrange(30, 500)), silent=True)
        if y.edu is None and y.job is None and age >= 18 and w.chance(w.a["benefitShareOfNeet18"]):
            kind = "wajong" if y.unavailable and w.chance(0.5) else "participatiewet"
            life.start_benefit(w, y, start - timedelta(days=w.rng.randrange(30, 500)), kind, silent=True)
        if age < 18 and w.chance(float(w.a["careAtStartUnder18"])):
            life.start_care(w, y, start - timedelta(days=w.rng.randrange(20, 600)), "jeugdwet", silent=True)
            y.had_care = True
        elif age >= 18 and w.chance(0.02):
            life.start_care(w, y, start - timedelta(days=w.rng.randrange(20, 600)), "wmo", silent=True)

    def _initial_load(self, y: Youth, history: list[tuple[str, date]]) -> None:
        """What the partners know at the start: the BRP registration and the current episodes."""
        em, start = self.em, self.config.start
        # The go-live load on the day before the start, the BRP's registrations last (in the evening): a youth's
        # facts are in place when the registration brings it into the target group. A youth moving in during the
        # period: the registration a week or two after the move, what DUO and others know a few days earlier.
        moves_in = y.since > start
        at = y.since + timedelta(days=self.rng.randint(1, 4)) if moves_in else start - timedelta(days=1)
        if moves_in:
            self._register(y, y.since + timedelta(days=self.rng.randint(5, 14)))
        if y.edu is not None:
            careers.post_enrolment(self.world, y, at=at)
        for track, day in history:
            partner = "doorstroompunt"  # historical diplomas from DUO
            em.emit(partner, "education.qualified", y, day, {"qualification": track, "date": day.isoformat()}, at=at)
        if y.job is not None:
            data = {"episodeId": y.job.episode, "date": y.job.start.isoformat(), "hoursPerWeek": 24}
            em.emit("social", "work.employment-started", y, y.job.start, data, at=at)
        if y.benefit is not None:
            data = {"episodeId": y.benefit.episode, "date": y.benefit.start.isoformat(), "kind": y.benefit.kind}
            em.emit("social", "income.benefit-started", y, y.benefit.start, data, at=at)
        if y.exemption is not None:
            data = {"episodeId": y.exemption.episode, "from": y.exemption.start.isoformat(), "article": "5a"}
            em.emit("leerplicht", "education.exemption-granted", y, y.exemption.start, data, at=at)
        if y.care is not None:
            care = y.care
            data = {
                "episodeId": care.episode,
                "date": care.start.isoformat(),
                "framework": care.kind,
                "kind": care.detail,
            }
            em.emit("youth-care", "care.started", y, care.start, data, at=at)

    def _cohorts(self, y: Youth) -> None:
        """Who counts in the denominators of the calibration (measured at the end)."""
        start = self.config.start
        if not y.active(start):
            return
        age = y.age(start)
        y.cohorts = 0
        if 12 <= age <= 17:
            y.cohorts |= 1
            if is_leerplichtig(y.birth, start) or is_kwalificatieplichtig(y.birth, start, y.sk):
                y.cohorts |= 4
        e = y.edu
        if e is not None and e.sector in EARLY_LEAVER_SECTORS and y.sk is None and age < 23:
            y.cohorts |= 2

    # -- the weeks ----------------------------------------------------------------------------------------

    def _week(self, monday: date) -> None:
        w = self.world
        week = week_of(monday)
        history: list[tuple[str, date]] = []
        month_end = next(
            (d for d in (monday + timedelta(days=i) for i in range(7)) if (d + timedelta(days=1)).day == 1), None
        )
        for y in self.youths:
            if y.gone is not None or y.since > week.friday:
                continue
            age = y.age(monday)
            if age < MIN_AGE or age > MAX_AGE:
                continue
            if life.maybe_move_out(w, y, week, age):
                continue
            if week.year_end:
                careers.year_end(w, y, week, False, history)
            if week.year_start:
                careers.year_start(w, y, week, False)
            if y.edu is not None:
                if week.lesweek and w.chance(careers.dropout_risk(w, y) / 40):
                    careers.dropout(w, y, week.friday, silent=False)
                else:
                    absence.report(w, y, week)
                    self._apply_for_mbo(y, week)
            else:
                absence.not_enrolled(w, y, week)
            life.care_week(w, y, week, age)
            life.work_week(w, y, week, age)
            life.neet_week(w, y, week, age)
        if month_end is not None and month_end <= self.config.end:
            self._measure_neet(month_end)

    def _apply_for_mbo(self, y: Youth, week: Week) -> None:
        e = y.edu
        if e is None or y.applied or e.grade < e.years:
            return
        if e.track not in ("vmbo-bb", "vmbo-kb", "vmbo-gt") and e.outflow != "vervolgonderwijs":
            return
        # applications in the 13 weeks of January to March, a share `mboAppliedByApril` of them by 1 April
        weekly = 1 - (1 - float(self.world.a["mboAppliedByApril"])) ** (1 / 13)
        if week.monday.month in (1, 2, 3) and self.world.chance(weekly):
            y.applied = True
            data = {"date": week.monday.isoformat(), "brin": careers.MBO_BRIN}
            self.em.emit(e.partner, "education.mbo-applied", y, week.monday, data)

    def _measure_neet(self, day: date) -> None:
        self.stats.neet_month_ends += 1
        for y in self.youths:
            if not y.active(day) or y.age(day) < 15:
                continue
            self.stats.neet.add(y.edu is None and y.job is None)

    def _measure_end(self) -> None:
        stats = self.stats
        for y in self.youths:
            cohorts = y.cohorts
            if not cohorts or y.gone is not None:
                continue
            if cohorts & 1:
                stats.care.add(y.had_care)
            if cohorts & 4:
                stats.thuiszitters.add(y.thuiszitter)
            if cohorts & 2:
                stats.early_leavers.add(y.edu is None and y.sk is None)


def write_jsonl(events: Iterator[SimEvent], out: IO[bytes]) -> int:
    count = 0
    for event in events:
        out.write(orjson.dumps(event.body))
        out.write(b"\n")
        count += 1
    return count


def write_files(simulation: Simulation, out: Path, per_partner: bool) -> dict[str, int]:
    """The stream as JSON Lines: one file, or one per partner (`FILE.<partner>.jsonl`, for `glansrijk import`)."""
    counts: dict[str, int] = {}
    if not per_partner:
        with out.open("wb") as single:
            counts["all"] = write_jsonl(simulation.events(), single)
        return counts
    handles: dict[str, IO[bytes]] = {}
    try:
        for event in simulation.events():
            handle = handles.get(event.partner)
            if handle is None:
                handle = handles[event.partner] = out.with_suffix(f".{event.partner}.jsonl").open("wb")
            handle.write(orjson.dumps(event.body))
            handle.write(b"\n")
            counts[event.partner] = counts.get(event.partner, 0) + 1
    finally:
        for handle in handles.values():
            handle.close()
    return counts
