# SPDX-License-Identifier: EUPL-1.2
"""The demo's synthetic population: deterministic for a seed and a date, valid for the catalogue.

Everything here is invented: the partners are those of `demo_partners.py`, and the BSNs are random numbers
that merely pass the elfproef. No I/O happens here: `demo.py` posts the events
through the real HTTP intake API.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from services.cli.demo_partners import PARTNER_BY_HANDLE, VO_BRIN
from services.core.identity import elfproef_check_digit

PREFIX = "nl.glansrijk."
ABSENCE_WEEKS = 12
DISTRICTS = tuple(f"WK0505{n:02d}" for n in range(1, 13))  # CBS wijk codes of Dordrecht (gemeente 0505)
POSTCODES = ("3311", "3312", "3313", "3314", "3315", "3316", "3317", "3318", "3319", "3328")
# ISO weeks that are (roughly) school holidays in region midden: Christmas, spring, May, summer, autumn. An
# approximation for choosing the demo's reported weeks only; the rules use the project's own calendar.
HOLIDAY_WEEKS = frozenset({1, 8, 18, 30, 31, 32, 33, 34, 35, 43, 52, 53})
ID_NAMESPACE = uuid.UUID("6f1d3c52-7a0e-4c1b-9a57-3e0b8d2f4a10")

# track, years, weight (per 100 pupils)
VO_TRACKS = (("vmbo-bb", 4, 10), ("vmbo-kb", 4, 15), ("vmbo-gt", 4, 25), ("havo", 5, 25), ("vwo", 6, 25))
# after vo: mbo level, its years, the share that goes on to mbo at the demo's ROC
MBO_AFTER = {
    "vmbo-bb": ("mbo-2", 2, 0.85),
    "vmbo-kb": ("mbo-3", 3, 0.85),
    "vmbo-gt": ("mbo-4", 3, 0.8),
    "havo": ("mbo-4", 3, 0.25),
    "vwo": ("mbo-4", 3, 0.05),
}


@dataclass(frozen=True)
class DemoEvent:
    partner: str  # handle in PARTNERS
    body: dict[str, Any]

    @property
    def type(self) -> str:
        return str(self.body["type"])


@dataclass(frozen=True)
class Enrolment:
    school: str
    episode_id: str
    start: date
    sector: str
    track: str
    grade: int
    final_year: bool
    pathway: str | None
    scheduled_hours: int


@dataclass
class Youth:
    number: int
    bsn: str
    birth_date: date
    enrolments: list[Enrolment] = field(default_factory=list)  # newest first
    absence: str = "regular"


def fake_bsn(rng: random.Random) -> str:
    """A random 9-digit number passing the elfproef (the check digit completes it; remainder 10 is skipped)."""
    while True:
        digits = f"{rng.randrange(10_000_000, 100_000_000):08d}"
        check = elfproef_check_digit(digits)
        if check is not None:
            return digits + str(check)


def shift_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def age_on(birth: date, day: date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def school_year(day: date) -> int:
    """The calendar year in which the school year of `day` started (1 August)."""
    return day.year if day.month >= 8 else day.year - 1


def lesweken(today: date, count: int = ABSENCE_WEEKS) -> list[date]:
    """The Mondays of the last `count` completed school weeks, oldest first."""
    monday = today - timedelta(days=today.weekday() + 7)
    weeks: list[date] = []
    while len(weeks) < count:
        if monday.isocalendar().week not in HOLIDAY_WEEKS:
            weeks.append(monday)
        monday -= timedelta(days=7)
    return weeks[::-1]


def _stamp(day: date, hour: int = 9) -> str:
    return datetime.combine(day, time(hour), tzinfo=UTC).isoformat().replace("+00:00", "Z")


class _Generator:
    def __init__(self, seed: int, today: date) -> None:
        self.rng = random.Random(seed)
        self.seed = seed
        self.today = today
        self.year = school_year(today)
        self.events: list[DemoEvent] = []

    def emit(self, partner: str, kind: str, youth: Youth, what: str, moment: str, data: dict[str, Any]) -> None:
        person: dict[str, Any] = {"bsn": youth.bsn}
        if kind == "person.registered":
            person["birthDate"] = youth.birth_date.isoformat()  # the BRP's birth date
        if partner in ("vo", "mbo"):
            person["localId"] = f"{partner.upper()}-{youth.number + 1:05d}"
        body = {
            "specversion": "1.0",
            "id": str(uuid.uuid5(ID_NAMESPACE, f"{self.seed}/{youth.number}/{what}")),
            "source": PARTNER_BY_HANDLE[partner].source,
            "type": PREFIX + kind,
            "time": moment,
            "datacontenttype": "application/json",
            "data": {"person": person, **data},
        }
        self.events.append(DemoEvent(partner, body))

    def youth(self, number: int, bsn: str) -> Youth:
        oldest = shift_years(self.today, -27) + timedelta(days=1)
        youngest = shift_years(self.today, -12)
        birth = oldest + timedelta(days=self.rng.randrange((youngest - oldest).days + 1))
        youth = Youth(number, bsn, birth)
        self._register(youth)
        self._plan_education(youth)
        return youth

    def _register(self, youth: Youth) -> None:
        rng = self.rng
        born_here = rng.random() < 0.7
        since = (
            youth.birth_date
            if born_here
            else youth.birth_date + timedelta(days=rng.randrange(max(1, (self.today - youth.birth_date).days - 30)))
        )
        data: dict[str, Any] = {"districtCode": rng.choice(DISTRICTS), "since": since.isoformat()}
        if rng.random() < 0.7:
            data["postcode4"] = rng.choice(POSTCODES)
        moment = _stamp(since + timedelta(days=1))
        self.emit("municipality", "person.registered", youth, "registered", moment, data)

    def _plan_education(self, youth: Youth) -> None:
        rng = self.rng
        track, years, _ = rng.choices(VO_TRACKS, weights=[t[2] for t in VO_TRACKS])[0]
        grade = max(1, self.year - youth.birth_date.year - 11)
        if grade <= years:
            hours = rng.choice((26, 28, 30))
            self._enrol(youth, "vo", "vo", track, grade, years, None, hours)
            return
        level, length, share = MBO_AFTER[track]
        after = grade - years  # 1: the first school year after vo
        goes_to_mbo = rng.random() < share
        if goes_to_mbo and after <= length:
            pathway = "bbl" if rng.random() < 0.2 else "bol"
            self._enrol(youth, "mbo", "mbo", level, after, length, pathway, 8 if pathway == "bbl" else 20)
            if pathway == "bbl":
                self._employment(youth, start=date(self.year, 8, 1), hours=rng.choice((24, 28, 32)))
            return
        self._after_school(youth, track, level if goes_to_mbo else None)

    def _enrol(
        self,
        youth: Youth,
        school: str,
        sector: str,
        track: str,
        grade: int,
        years: int,
        pathway: str | None,
        hours: int,
    ) -> None:
        episode = f"{school}-{self.seed}-{youth.number:05d}"
        # This school year and, when the pupil was here already, the previous one (posted at each school year).
        for back in (0, 1):
            if grade - back < 1:
                break
            start = date(self.year - back, 8, 1)
            enrolment = Enrolment(
                school, episode, start, sector, track, grade - back, grade - back == years, pathway, hours
            )
            youth.enrolments.append(enrolment)
            data: dict[str, Any] = {
                "episodeId": episode,
                "brin": PARTNER_BY_HANDLE[school].brins[0],
                "sector": sector,
                "track": track,
                "grade": enrolment.grade,
                "finalYear": enrolment.final_year,
                "startDate": start.isoformat(),
            }
            if pathway is not None:
                data["pathway"] = pathway
            self.emit(school, "education.enrolled", youth, f"enrolled/{start.year}", _stamp(start, 8), data)

    def _after_school(self, youth: Youth, vo_track: str, mbo_level: str | None) -> None:
        rng = self.rng
        age = age_on(youth.birth_date, self.today)
        qualification = mbo_level if mbo_level else vo_track if vo_track in ("havo", "vwo") else None
        if qualification and rng.random() < 0.8:
            diploma = date(self.year - rng.randrange(0, 3), 7, 1)
            self.emit(
                "doorstroompunt",
                "education.qualified",
                youth,
                "qualified",
                _stamp(diploma + timedelta(days=14)),
                {"qualification": qualification, "date": diploma.isoformat()},
            )
        working = age >= 16 and rng.random() < 0.5
        if working:
            started = self.today - timedelta(days=rng.randrange(30, 700))
            self._employment(youth, start=started, hours=rng.choice((12, 16, 24, 32, 36, 38, 40)))
        if age >= 18 and not working and rng.random() < 0.3:
            kind = "wajong" if rng.random() < 0.1 else "participatiewet"
            started = self.today - timedelta(days=rng.randrange(30, 500))
            self.emit(
                "social",
                "income.benefit-started",
                youth,
                "benefit",
                _stamp(started),
                {"episodeId": f"uitkering-{youth.number:05d}", "date": started.isoformat(), "kind": kind},
            )
        if age >= 18 and not working and rng.random() < 0.4:
            self._contact(youth, "doorstroompunt", "contact/rmc")

    def _employment(self, youth: Youth, *, start: date, hours: int) -> None:
        data = {"episodeId": f"dienstverband-{youth.number:05d}", "date": start.isoformat(), "hoursPerWeek": hours}
        self.emit("social", "work.employment-started", youth, "employment", _stamp(start + timedelta(days=3)), data)

    def _contact(self, youth: Youth, partner: str, what: str) -> None:
        day = self.today - timedelta(days=self.rng.randrange(1, 60))
        channel = self.rng.choice(("in-person", "phone", "online", "outreach"))
        self.emit(
            partner, "support.contact", youth, what, _stamp(day, 14), {"date": day.isoformat(), "channel": channel}
        )

    def care(self, youth: Youth) -> None:
        rng = self.rng
        age = age_on(youth.birth_date, self.today)
        if age < 18 and rng.random() < 0.08:
            framework, kind = "jeugdwet", rng.choice(("ambulant", "verblijf", "dagbehandeling"))
        elif age >= 18 and rng.random() < 0.03:
            framework, kind = "wmo", "begeleiding"
        else:
            return
        started = self.today - timedelta(days=rng.randrange(20, 900))
        data = {
            "episodeId": f"zorg-{youth.number:05d}",
            "date": started.isoformat(),
            "framework": framework,
            "kind": kind,
        }
        self.emit("youth-care", "care.started", youth, "care", _stamp(started + timedelta(days=2)), data)

    def absence(self, youth: Youth, weeks: list[date]) -> None:
        rng = self.rng
        for position, monday in enumerate(weeks):
            enrolment = next((e for e in youth.enrolments if e.start <= monday), None)
            if enrolment is None:
                continue
            scheduled = enrolment.scheduled_hours
            recent = len(weeks) - position  # 1: the last reported week
            unauthorized = 0 if rng.random() < 0.9 else 1
            authorized = 0 if rng.random() < 0.85 else rng.randrange(2, min(8, scheduled) + 1)
            if youth.absence == "some":
                unauthorized = rng.randrange(0, 5)
            elif youth.absence == "heavy" and recent <= 6:
                unauthorized = rng.randrange(5, min(10, scheduled) + 1)
            elif youth.absence == "thuiszitter" and recent <= 5:
                unauthorized, authorized = scheduled, 0
            authorized = min(authorized, scheduled - unauthorized)
            data = {
                "brin": PARTNER_BY_HANDLE[enrolment.school].brins[0],
                "weekStart": monday.isoformat(),
                "scheduledHours": scheduled,
                "unauthorizedHours": unauthorized,
                "authorizedHours": authorized,
            }
            moment = _stamp(monday + timedelta(days=4), 15)
            self.emit(enrolment.school, "education.absence-reported", youth, f"absence/{monday}", moment, data)
        if youth.absence in ("heavy", "thuiszitter"):
            self._contact(youth, "leerplicht", "contact/leerplicht")


def generate(youths: int, seed: int, today: date) -> list[DemoEvent]:
    """The population's events, in the order a partner would send them (registrations first)."""
    generator = _Generator(seed, today)
    bsns: set[str] = set()
    people: list[Youth] = []
    for number in range(youths):
        bsn = fake_bsn(generator.rng)
        while bsn in bsns:
            bsn = fake_bsn(generator.rng)
        bsns.add(bsn)
        people.append(generator.youth(number, bsn))
    for youth in people:
        generator.care(youth)
    enrolled = [y for y in people if y.enrolments]
    order = generator.rng.sample(enrolled, len(enrolled))
    heavy, thuiszitters, some = max(1, len(order) * 5 // 100), max(1, len(order) * 2 // 100), len(order) * 15 // 100
    for position, youth in enumerate(order):
        if position < thuiszitters:
            youth.absence = "thuiszitter"
        elif position < thuiszitters + heavy:
            youth.absence = "heavy"
        elif position < thuiszitters + heavy + some:
            youth.absence = "some"
    weeks = lesweken(today)
    for youth in people:
        generator.absence(youth, weeks)
    return generator.events


def bad_events(today: date) -> list[dict[str, Any]]:
    """Three deliberately invalid events of the vo school, to show one 400 listing every failing field."""
    school = PARTNER_BY_HANDLE["vo"]
    tuesday = today - timedelta(days=today.weekday() + 6)
    base = {"specversion": "1.0", "source": school.source, "datacontenttype": "application/json"}
    return [
        {
            **base,
            "id": "demo-invalid-1",
            "type": PREFIX + "education.absence-reported",
            "time": _stamp(today),
            "data": {
                "person": {"bsn": "123456789"},
                "brin": VO_BRIN,
                "weekStart": tuesday.isoformat(),
                "scheduledHours": 28,
                "unauthorizedHours": 70,
                "authorizedHours": 0,
            },
        },
        {
            **base,
            "id": "demo-invalid-2",
            "type": PREFIX + "education.enrolled",
            "time": _stamp(today),
            "data": {
                "person": {"bsn": "111222333"},
                "episodeId": "demo-invalid",
                "brin": VO_BRIN,
                "sector": "vo",
                "track": "mbo-2",
                "grade": 7,
                "finalYear": False,
            },
        },
        {
            **base,
            "id": "demo-invalid-3",
            "type": PREFIX + "education.absence-reported",
            "time": "yesterday",
            "subject": "Jan Jansen",
            "data": {
                "person": {"bsn": "111222333"},
                "name": "Jan Jansen",
                "brin": VO_BRIN,
                "weekStart": (tuesday - timedelta(days=1)).isoformat(),
                "scheduledHours": 28,
                "unauthorizedHours": 2,
                "authorizedHours": 0,
            },
        },
    ]
