# SPDX-License-Identifier: EUPL-1.2
"""Care, work, benefits and support: jeugdwet care and the turn at 18, jobs, benefits, the doorstroompunt's
contacts and trajectories with their outcomes, and youths who move away.

Youths out of school look for work; some are not available for work (illness, disability); those 18 and over
without work may get a benefit; the doorstroompunt reaches part of those without a startkwalificatie with
contacts and a trajectory. Whoever the chain does not reach is out of view.
"""

from __future__ import annotations

from datetime import date, timedelta

from services.core.calendar import eighteenth_birthday, seventeen_and_a_half
from services.simulator.population import Episode, Youth
from services.simulator.world import Week, World

CARE_KINDS = ("ambulant", "ambulant", "ambulant", "dagbehandeling", "verblijf", "jeugdbescherming")


def start_job(w: World, y: Youth, day: date, silent: bool) -> None:
    y.job = Episode(y.next_episode("dv"), "social", day)
    y.neet_weeks = 0
    if not silent:
        hours = 8 if y.edu is not None and y.edu.pathway != "bbl" else w.rng.choice((16, 24, 32, 36, 38, 40))
        data = {"episodeId": y.job.episode, "date": day.isoformat(), "hoursPerWeek": hours}
        w.em.emit("social", "work.employment-started", y, day, data)


def end_job(w: World, y: Youth, day: date) -> None:
    job = y.job
    assert job is not None
    y.job = None
    w.em.emit("social", "work.employment-ended", y, day, {"episodeId": job.episode, "date": day.isoformat()})


def start_care(w: World, y: Youth, day: date, framework: str, silent: bool) -> None:
    detail = CARE_KINDS[w.rng.randrange(len(CARE_KINDS))] if framework == "jeugdwet" else "begeleiding"
    y.care = Episode(y.next_episode("zorg"), "youth-care", day, framework, detail)
    if framework == "jeugdwet":
        y.had_care = y.had_care or day >= w.start
    if not silent:
        _post_care(w, y, "care.started", day)


def _post_care(w: World, y: Youth, kind: str, day: date) -> None:
    care = y.care
    assert care is not None
    data = {"episodeId": care.episode, "date": day.isoformat(), "framework": care.kind, "kind": care.detail}
    w.em.emit("youth-care", kind, y, day, data)


def end_care(w: World, y: Youth, day: date) -> None:
    _post_care(w, y, "care.ended", day)
    y.care = None


def care_week(w: World, y: Youth, week: Week, age: int) -> None:
    """Jeugdwet care starts and ends; at 18 it ends, continues (verlengde jeugdhulp) or turns into wmo care."""
    care = y.care
    if care is None:
        if age < 18 and w.weekly(float(w.a["careStartsUnder18"])):
            start_care(w, y, week.monday + timedelta(days=w.rng.randrange(5)), "jeugdwet", silent=False)
        elif age >= 18 and w.weekly(0.01):
            start_care(w, y, week.monday, "wmo", silent=False)
        return
    if care.kind == "jeugdwet":
        y.had_care = True
        birthday = eighteenth_birthday(y.birth)
        if age == 17 and not y.plan and week.monday >= seventeen_and_a_half(y.birth) - timedelta(days=60):
            y.plan = True
            if w.chance(w.a["transitionPlanShare"]):
                w.em.emit("youth-care", "support.transition-plan", y, week.monday, {"date": week.monday.isoformat()})
        if week.monday <= birthday < week.monday + timedelta(days=7):
            draw = w.rng.random()
            shares = w.a["careAt18"]
            if draw < shares["ends"]:
                end_care(w, y, birthday)
                return
            if draw < shares["ends"] + shares["wmo"]:
                end_care(w, y, birthday)
                start_care(w, y, birthday + timedelta(days=w.rng.randrange(0, 40)), "wmo", silent=False)
                return
    if w.chance(1 / float(w.a["careWeeks"])):
        end_care(w, y, week.friday)


def work_week(w: World, y: Youth, week: Week, age: int) -> None:
    """Jobs start and end; a benefit for some 18+ without work; side jobs of pupils from 16."""
    if y.job is not None:
        bbl = y.edu is not None and y.edu.pathway == "bbl"
        if not bbl and w.chance(1 / float(w.a["jobWeeks"])):
            end_job(w, y, week.friday)
        return
    if age < 16 or y.unavailable:
        return
    if y.edu is not None:
        if w.chance(float(w.a["sideJobShare"]) / 150):
            start_job(w, y, week.monday + timedelta(days=w.rng.randrange(5)), silent=False)
        return
    search = w.a["jobSearchWeeks"]["withStartkwalificatie" if y.sk else "without"]
    if w.chance(1 / float(search)):
        start_job(w, y, week.monday + timedelta(days=w.rng.randrange(5)), silent=False)
        if y.benefit is not None:
            end_benefit(w, y, week.friday)
        if y.trajectory is not None:
            end_trajectory(w, y, week.friday, "work")


def start_benefit(w: World, y: Youth, day: date, kind: str, silent: bool) -> None:
    y.benefit = Episode(y.next_episode("uitk"), "social", day, kind)
    if not silent:
        data = {"episodeId": y.benefit.episode, "date": day.isoformat(), "kind": kind}
        w.em.emit("social", "income.benefit-started", y, day, data)


def end_benefit(w: World, y: Youth, day: date) -> None:
    benefit = y.benefit
    assert benefit is not None
    y.benefit = None
    data = {"episodeId": benefit.episode, "date": day.isoformat(), "kind": benefit.kind}
    w.em.emit("social", "income.benefit-ended", y, day, data)


def end_trajectory(w: World, y: Youth, day: date, outcome: str) -> None:
    trajectory = y.trajectory
    assert trajectory is not None
    y.trajectory = None
    data = {"episodeId": trajectory.episode, "date": day.isoformat(), "outcome": outcome}
    w.em.emit(trajectory.partner, "support.trajectory-ended", y, day, data)


def neet_week(w: World, y: Youth, week: Week, age: int) -> None:
    """Neither in school nor at work: a benefit, the doorstroompunt's contacts and trajectories."""
    if y.edu is not None or y.job is not None:
        if y.trajectory is not None and y.edu is not None and y.trajectory.partner == "doorstroompunt":
            both = y.job is not None or y.edu.pathway == "bbl"
            end_trajectory(w, y, week.friday, "education-and-work" if both else "education")
        y.neet_weeks = 0
        return
    y.neet_weeks += 1
    if age >= 18 and y.benefit is None and y.neet_weeks == 6 and w.chance(w.a["benefitShareOfNeet18"]):
        kind = "wajong" if y.unavailable and w.chance(0.5) else "participatiewet"
        start_benefit(w, y, week.monday, kind, silent=False)
    if y.sk is not None or age < 16:
        return
    if y.trajectory is None:
        if y.neet_weeks % 8 == 4 and w.chance(w.a["doorstroompuntReach"]):
            day = week.monday + timedelta(days=w.rng.randrange(5))
            channel = w.rng.choice(("in-person", "phone", "online", "outreach"))
            w.em.emit("doorstroompunt", "support.contact", y, day, {"date": day.isoformat(), "channel": channel})
            if w.chance(0.5):
                y.trajectory = Episode(y.next_episode("traj"), "doorstroompunt", day)
                w.em.emit("doorstroompunt", "support.trajectory-started", y, day,
                          {"episodeId": y.trajectory.episode, "date": day.isoformat()})  # fmt: skip
                scores = {name: w.rng.randint(1, 5) for name in ("finances", "daytime-activity", "housing")}
                w.em.emit("doorstroompunt", "support.life-domains-assessed", y, day,
                          {"date": day.isoformat(), "scores": scores})  # fmt: skip
        return
    if age < 23 and w.chance(1 / 30):  # back to school: an mbo programme from next Monday
        from services.simulator.careers import enrol

        level = "mbo-2" if y.last_track in ("vmbo-kb", "vmbo-gt", "havo", "vwo", "mbo-1") else "mbo-1"
        enrol(w, y, "mbo", level, 1, week.monday + timedelta(days=7), silent=False)
        end_trajectory(w, y, week.monday + timedelta(days=7), "education")
    elif w.chance(1 / 40):
        outcome = w.rng.choice(("no-contact", "other", "care", "no-contact"))
        end_trajectory(w, y, week.friday, outcome)
    elif w.chance(1 / 6):
        day = week.monday + timedelta(days=w.rng.randrange(5))
        w.em.emit("doorstroompunt", "support.contact", y, day, {"date": day.isoformat(), "channel": "in-person"})


def maybe_move_out(w: World, y: Youth, week: Week, age: int) -> bool:
    rate = w.a["annualMovedOut"]["12-17" if age < 18 else "18-26"]
    if not w.weekly(float(rate)):
        return False
    day = week.monday + timedelta(days=w.rng.randrange(7))
    y.gone = day
    if y.trajectory is not None:
        end_trajectory(w, y, day, "moved")
    if y.pending_end is not None:
        from services.simulator.careers import flush_end

        flush_end(w, y)
    w.em.emit("municipality", "person.deregistered", y, day, {"date": day.isoformat(), "reason": "moved-out"})
    return True
