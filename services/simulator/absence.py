# SPDX-License-Identifier: EUPL-1.2
"""Weekly absence as the schools report it, holidays respected, with long-term absence and exemptions.

vo, pro and vso schools report every lesweek of region midden (the project's calendar) and nothing in their
holidays; the mbo institution sets its own calendar and reports `scheduledHours` 0 in the weeks it is closed
(the region's holidays). hbo and wo report no absence. Each pupil has an absence class (mostly none): the class
sets the occasional unauthorised hours and the hazard of a run of long-term absence (fully absent for weeks),
which ends back at school, in a dropout, or with an exemption from leerplicht.
"""

from __future__ import annotations

from datetime import timedelta

from services.core.calendar import is_kwalificatieplichtig, is_leerplichtig
from services.simulator import careers, params
from services.simulator.population import Episode, Youth
from services.simulator.world import Week, World

CLASSES = ("none", "low", "high", "severe")


def absence_class(w: World) -> str:
    draw = w.rng.random()
    for name in CLASSES:
        share = float(w.a["absenceClasses"][name])
        if draw < share:
            return name
        draw -= share
    return "none"


def _hours(w: World, y: Youth, scheduled: int) -> tuple[int, int]:
    rng = w.rng
    klass = y.absence_class
    if y.lta > 0:
        return scheduled, 0
    unauthorized = 0
    draw = rng.random()
    if klass == "low" and draw < 0.25:
        unauthorized = rng.randint(1, 4)
    elif klass == "high" and draw < 0.6:
        unauthorized = rng.randint(2, 8)
    elif klass == "severe" and draw < 0.8:
        unauthorized = rng.randint(4, 12)
    elif draw < 0.03:
        unauthorized = 1
    authorized = rng.randint(2, 10) if rng.random() < 0.08 else 0
    unauthorized = min(unauthorized, scheduled)
    return unauthorized, min(authorized, scheduled - unauthorized)


def report(w: World, y: Youth, week: Week) -> None:
    """The school's absence report for the week, and what a long-term absence run leads to."""
    e = y.edu
    if e is None or e.sector in ("hbo", "wo") or e.start > week.monday:
        return
    if not week.lesweek:
        if e.sector in ("mbo", "vavo"):
            data = {"brin": e.brin, "weekStart": week.monday.isoformat(), "scheduledHours": 0,
                    "unauthorizedHours": 0, "authorizedHours": 0}  # fmt: skip
            w.em.emit(e.partner, "education.absence-reported", y, week.monday, data)
        return
    _maybe_start_run(w, y, week)
    unauthorized, authorized = _hours(w, y, e.hours)
    data = {
        "brin": e.brin,
        "weekStart": week.monday.isoformat(),
        "scheduledHours": e.hours,
        "unauthorizedHours": unauthorized,
        "authorizedHours": authorized,
    }
    w.em.emit(e.partner, "education.absence-reported", y, week.monday, data)
    if w.rng.random() < 0.01:  # a correction a week later: the latest `time` wins
        fixed = {**data, "unauthorizedHours": max(0, unauthorized - 1)}
        w.em.emit(e.partner, "education.absence-reported", y, week.friday, fixed)
    if y.lta > 0:
        _continue_run(w, y, week)


def _maybe_start_run(w: World, y: Youth, week: Week) -> None:
    if y.lta > 0:
        return
    annual = float(w.a["annualLongTermAbsence"][y.absence_class])
    if annual and w.weekly(annual * 52 / 40):  # runs start in lesweken only
        y.lta = 4 + int(w.rng.expovariate(1 / 6))
        y.lta_weeks = 0


def _continue_run(w: World, y: Youth, week: Week) -> None:
    y.lta_weeks += 1
    y.lta -= 1
    if y.lta_weeks == 4 and _obliged(y, week):
        y.thuiszitter = True
        _leerplicht_contact(w, y, week)
    if y.lta > 0:
        return
    draw = w.rng.random()
    if draw < 0.2:
        careers.dropout(w, y, week.friday, silent=False)
    elif draw < 0.28 and _obliged(y, week) and y.edu is not None and y.edu.sector in ("vso", "pro", "vo"):
        careers.unenrol(w, y, week.friday, "other", silent=False)
        grant_exemption(w, y, week)
    else:
        y.absence_class = "high" if y.absence_class == "severe" else y.absence_class


def _obliged(y: Youth, week: Week) -> bool:
    return is_leerplichtig(y.birth, week.monday) or is_kwalificatieplichtig(y.birth, week.monday, y.sk)


def _leerplicht_contact(w: World, y: Youth, week: Week) -> None:
    if is_leerplichtig(y.birth, week.monday) or is_kwalificatieplichtig(y.birth, week.monday, y.sk):
        w.em.emit(
            "leerplicht", "support.contact", y, week.friday, {"date": week.friday.isoformat(), "channel": "in-person"}
        )


def grant_exemption(w: World, y: Youth, week: Week) -> None:
    article = "5a" if w.chance(0.8) else "11g"
    episode = Episode(y.next_episode("vrij"), "leerplicht", week.friday, article)
    y.exemption = episode
    data = {"episodeId": episode.episode, "from": week.friday.isoformat(), "article": article}
    w.em.emit("leerplicht", "education.exemption-granted", y, week.friday, data)


def end_exemption(w: World, y: Youth, week: Week) -> None:
    """The exemption ends (the youth can go to school again, at a vso school)."""
    exemption = y.exemption
    assert exemption is not None
    y.exemption = None
    data = {"episodeId": exemption.episode, "to": week.friday.isoformat(), "article": exemption.kind}
    w.em.emit("leerplicht", "education.exemption-ended", y, week.friday, data)
    careers.enrol(w, y, "vso", "vso", min(6, max(1, y.age(week.monday) - 11)), week.monday + timedelta(days=7), False)


def not_enrolled(w: World, y: Youth, week: Week) -> None:
    """A leerplichtige or kwalificatieplichtige youth without a school and without an exemption: absolute
    absence; leerplicht finds most of them a school within weeks. An exempted youth may go back to school."""
    if y.age(week.monday) >= 18:  # past the kwalificatieplicht, whatever else
        y.out_weeks = 0
        return
    if y.exemption is not None and week.lesweek and w.chance(1 / 150):
        end_exemption(w, y, week)
        return
    if y.exemption is not None or not week.lesweek or not _obliged(y, week) or careers.vo_entry(y) > week.school_year:
        y.out_weeks = 0
        return
    y.out_weeks += 1
    if y.out_weeks == 4:
        y.thuiszitter = True
    if y.out_weeks == 2:
        _leerplicht_contact(w, y, week)
    if y.out_weeks >= 2 and w.chance(0.45):
        start = week.monday
        level = "mbo-1" if y.age(start) >= 16 else None
        if level:
            careers.enrol(w, y, "mbo", level, 1, start, silent=False)
        else:
            track = y.vo_track if y.vo_track in ("pro", "vso") else "vmbo-bb"
            sector = track if track in ("pro", "vso") else "vo"
            careers.enrol(w, y, sector, track, min(4, max(1, y.age(start) - 11)), start, silent=False)
        y.out_weeks = 0


__all__ = ["CLASSES", "absence_class", "grant_exemption", "not_enrolled", "params", "report"]
