# SPDX-License-Identifier: EUPL-1.2
"""School careers: vo tracks, pro and vso, mbo levels and pathways, havo/vwo, hbo and wo, vavo; diplomas,
transfers, repeated grades and dropouts, with the enrolment events of the catalogue.

A pupil enters vo in the school year starting in the calendar year of the 12th birthday. Each 10 July the
final-year pupils sit their exams; each 1 August everyone still enrolled moves up a grade (or repeats one, or
moves down a track), and those who finished pick their next programme. Dropouts happen during the year.
`silent=True` builds the history before the simulated period without emitting events (the initial load then
posts the state at the start).
"""

from __future__ import annotations

from datetime import date, timedelta

from services.simulator.partners import HBO_BRIN, MBO_BRIN, PRO_BRIN, VO_BRINS, VSO_BRIN, WO_BRIN
from services.simulator.population import Enrolment, Youth
from services.simulator.world import Week, World

STARTKWALIFICATIE = frozenset({"havo", "vwo", "mbo-2", "mbo-3", "mbo-4", "hbo", "wo"})
HOURS = {"vo": 30, "pro": 30, "vso": 25, "vavo": 14, "mbo": 20, "hbo": 0, "wo": 0}
# after a diploma (or the end of pro/vso): (next sector, track, share); the rest look for work
NEXT: dict[str, tuple[tuple[str, str, float], ...]] = {
    "vmbo-bb": (("mbo", "mbo-2", 0.88), ("mbo", "mbo-1", 0.06)),
    "vmbo-kb": (("mbo", "mbo-3", 0.82), ("mbo", "mbo-2", 0.12)),
    "vmbo-gt": (("mbo", "mbo-4", 0.72), ("vo", "havo", 0.15), ("mbo", "mbo-3", 0.08)),
    "havo": (("hbo", "hbo", 0.74), ("mbo", "mbo-4", 0.12), ("vo", "vwo", 0.03)),
    "vwo": (("wo", "wo", 0.7), ("hbo", "hbo", 0.2)),
    "mbo-1": (("mbo", "mbo-2", 0.55),),
    "mbo-2": (("mbo", "mbo-3", 0.4),),
    "mbo-3": (("mbo", "mbo-4", 0.3),),
    "mbo-4": (("hbo", "hbo", 0.38),),
    "pro": (("mbo", "mbo-1", 0.3),),
    "vso": (("mbo", "mbo-1", 0.2),),
}
DOWN = {"vwo": "havo", "havo": "vmbo-gt", "vmbo-gt": "vmbo-kb", "vmbo-kb": "vmbo-bb"}
OUTFLOW = (("arbeidsmarkt", 0.55), ("vervolgonderwijs", 0.3), ("dagbesteding", 0.15))


def years_of(w: World, sector: str, track: str) -> int:
    if sector in ("vo", "pro", "vso"):
        return int(w.a["voYears"][track])
    if sector == "mbo":
        years = int(w.a["mboYears"][track])
        return years + (1 if track == "mbo-4" and w.chance(0.3) else 0)
    if sector == "vavo":
        return 1 if track == "vmbo-gt" else 2
    return 4 if sector == "hbo" else 5


def _place(w: World, sector: str, track: str) -> tuple[str, str]:
    """(partner, brin) of a new enrolment."""
    if sector == "vo":
        return "vo", VO_BRINS[w.rng.randrange(len(VO_BRINS))]
    if sector == "pro":
        return "vo", PRO_BRIN
    if sector == "vso":
        return "vo", VSO_BRIN
    if sector in ("mbo", "vavo"):
        return "mbo", MBO_BRIN
    return "doorstroompunt", HBO_BRIN if sector == "hbo" else WO_BRIN


def enrol(w: World, y: Youth, sector: str, track: str, grade: int, start: date, silent: bool) -> None:
    partner, brin = _place(w, sector, track)
    pathway = None
    hours = HOURS[sector]
    if sector == "mbo":
        pathway = "bbl" if w.chance(w.a["bblShare"]) else "bol"
        hours = 8 if pathway == "bbl" else w.rng.choice((16, 20, 24))
    elif sector == "vo":
        hours = w.rng.choice((28, 30, 32))
    outflow = None
    if sector in ("pro", "vso"):
        draw, outflow = w.rng.random(), "arbeidsmarkt"
        for name, share in OUTFLOW:
            if draw < share:
                outflow = name
                break
            draw -= share
    y.edu = Enrolment(
        y.next_episode("ins"),
        partner,
        brin,
        sector,
        track,
        grade,
        years_of(w, sector, track),
        pathway,
        outflow,
        hours,
        start,
    )
    y.applied = False
    if pathway == "bbl" and y.job is None:
        from services.simulator.life import start_job

        start_job(w, y, start, silent)
    if not silent:
        arrival = post_enrolment(w, y)
        if arrival is not None:
            flush_end(w, y, arrival)


def post_enrolment(w: World, y: Youth, at: date | None = None) -> int | None:
    e = y.edu
    assert e is not None
    data: dict[str, object] = {
        "episodeId": e.episode,
        "brin": e.brin,
        "sector": e.sector,
        "track": e.track,
        "grade": e.grade,
        "finalYear": e.grade >= e.years,
        "startDate": e.start.isoformat(),
    }
    if e.pathway is not None:
        data["pathway"] = e.pathway
    if e.outflow is not None:
        data["outflowProfile"] = e.outflow
    return w.em.emit(e.partner, "education.enrolled", y, e.start, data, at=at)


def unenrol(w: World, y: Youth, day: date, reason: str, silent: bool, defer: bool = False, after: int = 0) -> None:
    """The end of the current enrolment. With `defer` its event waits for the next enrolment (`flush_end`), so
    that no partner's system shows a youth between two schools as not enrolled; `after` is the earliest arrival
    (the diploma's, so that the end never arrives before it)."""
    e = y.edu
    assert e is not None
    y.edu = None
    y.lta = y.lta_weeks = 0
    if silent:
        return
    flush_end(w, y)
    data: dict[str, object] = {"episodeId": e.episode, "brin": e.brin, "endDate": day.isoformat(), "reason": reason}
    if defer:
        y.pending_end = (e.partner, data, day, after)
    else:
        w.em.emit(e.partner, "education.unenrolled", y, day, data)


def flush_end(w: World, y: Youth, at: int | None = None) -> None:
    """Post a held-back enrolment end: on the day `at` (the next enrolment's arrival, in the evening, after it),
    or after its usual lag, never before its earliest arrival."""
    if y.pending_end is None:
        return
    partner, data, day, after = y.pending_end
    y.pending_end = None
    if at is None:
        at = day.toordinal() + w.rng.randint(0, 21)
    w.em.emit(partner, "education.unenrolled", y, day, data, at=date.fromordinal(max(at, after)), evening=True)


def qualify(
    w: World, y: Youth, track: str, day: date, partner: str, silent: bool, history: list[tuple[str, date]]
) -> int:
    y.last_track = track
    y.last_done = day.year - 1 if day.month < 8 else day.year
    if track in STARTKWALIFICATIE and y.sk is None:
        y.sk = day
    if silent:
        history.append((track, day))
        return 0
    data = {"qualification": track, "date": day.isoformat()}
    return w.em.emit(partner, "education.qualified", y, day, data) or 0


def year_end(w: World, y: Youth, week: Week, silent: bool, history: list[tuple[str, date]]) -> None:
    """Exams of the final year (10 July): a diploma and the end of the enrolment on 31 July, or another year."""
    e = y.edu
    if e is None or e.grade < e.years:
        return
    end = date(week.monday.year, 7, 31)
    if e.sector in ("pro", "vso"):
        if y.age(end) < 18:
            return  # pro and vso pupils stay (in their final grade) until they are 18
        y.last_track, y.last_done = e.track, week.school_year
        if e.outflow == "dagbesteding":
            y.unavailable = True
        unenrol(w, y, end, "other", silent, defer=True)
        return
    exam = {"vo": "vo", "vavo": "vo", "mbo": "mbo", "hbo": "hbo", "wo": "wo"}[e.sector]
    if w.chance(w.a["examPass"][exam]):
        arrival = qualify(w, y, e.track, week.friday, e.partner, silent, history)
        unenrol(w, y, end, "diploma", silent, defer=True, after=arrival)
    elif e.sector == "mbo" and w.chance(0.4):
        unenrol(w, y, end, "dropout", silent)
        y.returns = w.chance(w.a["dropoutReturnsNextYear"])


def vo_entry(y: Youth) -> int:
    """The school year (its first calendar year) in which the youth enters vo: the one that holds the 12th
    birthday. In reality pupils enter vo at 11.8 to 12.8 (the 1 October cut-off of primary school), so many are
    12 in groep 8; the catalogue has no primary-school sector, so a simulated 12-year-old in primary school would
    look "not enrolled anywhere" (absolute absence) to an operator who declares education data complete. The
    simulator moves the entry up by about seven months instead (ADR 0022)."""
    birthday = y.birth.year + 12
    return birthday if y.birth.month >= 8 else birthday - 1


def _choose(w: World, finished: str) -> tuple[str, str] | None:
    draw = w.rng.random()
    for sector, track, share in NEXT.get(finished, ()):
        if draw < share:
            return sector, track
        draw -= share
    return None


def year_start(w: World, y: Youth, week: Week, silent: bool) -> None:
    """1 August: move up, repeat, move down a track, start the next programme, or enter vo at 12."""
    _year_start(w, y, week, silent)
    if not silent:
        flush_end(w, y)  # no next programme: the end after its usual lag


def _year_start(w: World, y: Youth, week: Week, silent: bool) -> None:
    start = date(week.school_year, 8, 1)
    e = y.edu
    if e is not None:
        if e.sector == "vo" and e.grade == 2 and e.track in DOWN and w.chance(w.a["downwardTransfer"]):
            unenrol(w, y, start - timedelta(days=1), "transfer", silent, defer=True)
            enrol(w, y, "vo", DOWN[e.track], e.grade + 1, start, silent)
            return
        if e.grade >= e.years or w.chance(w.a["repeatGrade"]):
            e.start = start  # the final year again, or a repeated grade
        else:
            e.grade += 1
            e.start = start
        if not silent:
            post_enrolment(w, y)
        return
    if y.gone is not None:
        return
    if y.last_track is None and y.sk is None and week.school_year == vo_entry(y):
        track = y.vo_track
        sector = track if track in ("pro", "vso") else "vo"
        enrol(w, y, sector, track, 1, start, silent)
        return
    age = y.age(start)
    if y.returns and age < 23:
        y.returns = False
        level = "mbo-1" if y.last_track in (None, "pro", "vso", "vmbo-bb") else "mbo-2"
        if age >= 18 and y.last_track in ("havo", "vwo") and w.chance(0.5):
            enrol(w, y, "vavo", "havo", 1, start, silent)
        else:
            enrol(w, y, "mbo", level, 1, start, silent)
        return
    if y.last_track is not None and y.last_done == week.school_year - 1:
        nxt = _choose(w, y.last_track)
        if nxt is None and y.sk is None and age < 18 and w.chance(0.9):
            # still kwalificatieplichtig: leerplicht and the school see to a next programme for almost all
            nxt = ("mbo", "mbo-2" if y.last_track in ("vmbo-kb", "vmbo-gt", "mbo-1") else "mbo-1")
        if nxt is not None and age < 25:
            sector, track = nxt
            grade = 4 if (sector, track) == ("vo", "havo") else 5 if (sector, track) == ("vo", "vwo") else 1
            enrol(w, y, sector, track, grade, start, silent)


def dropout(w: World, y: Youth, day: date, silent: bool) -> None:
    """Leaves school during the year without a diploma (or switches out of hbo/wo). Most youths still under the
    kwalificatieplicht switch to another programme instead (a transfer to mbo-1 or mbo-2, or a lower vo track)."""
    e = y.edu
    assert e is not None
    if y.sk is None and y.age(day) < 18 and w.chance(w.a["switchInsteadOfDropoutUnder18"]):
        unenrol(w, y, day, "transfer", silent, defer=True)
        start = day + timedelta(days=7 - day.weekday())  # the next Monday
        if y.age(start) >= 16 or e.sector == "mbo":
            enrol(w, y, "mbo", "mbo-2" if e.track in ("havo", "vwo", "vmbo-gt", "mbo-3", "mbo-4") else "mbo-1",
                  1, start, silent)  # fmt: skip
        else:
            track = DOWN.get(e.track, e.track)
            sector = e.sector if e.sector in ("pro", "vso") else "vo"
            enrol(w, y, sector, track, min(e.grade, years_of(w, sector, track)), start, silent)
        return
    unenrol(w, y, day, "dropout", silent)
    y.returns = w.chance(w.a["dropoutReturnsNextYear"])


def dropout_risk(w: World, y: Youth) -> float:
    e = y.edu
    assert e is not None
    table = w.a["annualDropout"]
    key = e.track if e.sector == "mbo" else e.sector
    annual = float(table.get(key, 0.0))
    if y.sk is not None and e.sector in ("mbo", "vavo"):
        annual /= 2
    return annual
