# SPDX-License-Identifier: EUPL-1.2
"""Valid, distinct CloudEvents of a mixed catalogue for many youths (deterministic for a seed)."""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from services.core.identity import elfproef_check_digit

PREFIX = "nl.glansrijk."
# type -> weight: mostly absences, then enrolments and registrations, a few others.
MIX: dict[str, int] = {
    "education.absence-reported": 80,
    "education.enrolled": 8,
    "person.registered": 5,
    "support.contact": 3,
    "work.employment-started": 2,
    "education.qualified": 1,
    "education.mbo-applied": 1,
}
FIRST_MONDAY = date(2025, 9, 1)
TRACKS = (("vo", "havo", None), ("vo", "vmbo-kb", None), ("vo", "vwo", None), ("mbo", "mbo-2", "bol"))


def elfproef_number(seed: int) -> str:
    """A 9-digit number passing the elfproef (a valid BSN), derived from `seed`."""
    base = seed
    while True:
        digits = f"{base:08d}"[-8:]
        check = elfproef_check_digit(digits)
        if check is not None:
            return digits + str(check)
        base += 1


@dataclass(frozen=True)
class BenchYouth:
    number: str
    kind: str  # bsn or onderwijsnummer
    birth_date: str
    local_id: str


def youth_pool(count: int, seed_base: int) -> list[BenchYouth]:
    rng = random.Random(seed_base)
    seen: set[str] = set()
    youths: list[BenchYouth] = []
    candidate = 10_000_000 + seed_base * 37
    while len(youths) < count:
        number = elfproef_number(candidate)
        candidate += rng.randrange(3, 40)
        if number in seen:
            continue
        seen.add(number)
        birth = date(2006, 1, 1) + timedelta(days=rng.randrange(0, 8 * 365))
        kind = "onderwijsnummer" if len(youths) % 10 == 9 else "bsn"
        youths.append(BenchYouth(number, kind, birth.isoformat(), f"L{seed_base}-{len(youths)}"))
    return youths


class EventFactory:
    """Events from one partner's source about a pool of youths; ids are `<prefix>-<n>`, never repeated."""

    def __init__(
        self,
        source: str,
        brins: list[str],
        youths: list[BenchYouth],
        seed: int,
        prefix: str,
        mix: dict[str, int] = MIX,
    ) -> None:
        self.source = source
        self.brins = brins
        self.youths = youths
        self.rng = random.Random(seed)
        self.prefix = prefix
        self.counter = 0
        self.types = list(mix)
        self.weights = list(mix.values())

    def _person(self, youth: BenchYouth) -> dict[str, Any]:
        return {youth.kind: youth.number, "birthDate": youth.birth_date, "localId": youth.local_id}

    def _data(self, kind: str, index: int, youth: BenchYouth) -> dict[str, Any]:
        rng = self.rng
        day = FIRST_MONDAY + timedelta(days=rng.randrange(0, 280))
        if kind == "education.absence-reported":
            scheduled = float(rng.randrange(20, 33))
            return {
                "brin": rng.choice(self.brins),
                "weekStart": (FIRST_MONDAY + timedelta(weeks=rng.randrange(0, 40))).isoformat(),
                "scheduledHours": scheduled,
                "unauthorizedHours": float(rng.randrange(0, 5)),
                "authorizedHours": float(rng.randrange(0, 5)) + 0.5,
            }
        if kind == "education.enrolled":
            sector, track, pathway = rng.choice(TRACKS)
            data: dict[str, Any] = {
                "episodeId": f"ep-{youth.local_id}-{index}",
                "brin": rng.choice(self.brins),
                "sector": sector,
                "track": track,
                "grade": rng.randrange(1, 5),
                "finalYear": rng.random() < 0.2,
                "startDate": "2025-08-25",
            }
            if pathway:
                data["pathway"] = pathway
            return data
        if kind == "person.registered":
            return {"districtCode": f"WK0505{rng.randrange(0, 100):02d}", "postcode4": "3311", "since": "2010-01-01"}
        if kind == "support.contact":
            return {"date": day.isoformat(), "channel": rng.choice(("in-person", "phone", "online", "outreach"))}
        if kind == "work.employment-started":
            return {"episodeId": f"job-{index}", "date": day.isoformat(), "hoursPerWeek": 12.5}
        if kind == "education.qualified":
            return {"qualification": "havo", "date": day.isoformat()}
        return {"date": day.isoformat(), "brin": "25LX"}  # education.mbo-applied

    def event(self) -> dict[str, Any]:
        self.counter += 1
        index = self.counter
        kind = self.rng.choices(self.types, self.weights)[0]
        youth = self.rng.choice(self.youths)
        moment = datetime(2026, 1, 5, 8, 0, tzinfo=UTC) + timedelta(seconds=self.rng.randrange(0, 9_000_000))
        data = self._data(kind, index, youth)
        data["person"] = self._person(youth)
        return {
            "specversion": "1.0",
            "id": f"{self.prefix}-{index}",
            "source": self.source,
            "type": PREFIX + kind,
            "time": moment.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "datacontenttype": "application/json",
            "data": data,
        }

    def batch(self, size: int) -> list[dict[str, Any]]:
        return [self.event() for _ in range(size)]


def body(events: list[dict[str, Any]] | dict[str, Any]) -> bytes:
    return json.dumps(events, separators=(",", ":")).encode("utf-8")


def stored_data(event: dict[str, Any]) -> dict[str, Any]:
    """What the event store keeps of `data`: no person, no postcode4 (as services.intake.service does)."""
    return {k: v for k, v in event["data"].items() if k not in ("person", "postcode4")}


def birth_date(event: dict[str, Any]) -> date | None:
    value = event["data"]["person"].get("birthDate")
    return date.fromisoformat(value) if value else None


def event_time(event: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(event["time"].replace("Z", "+00:00"))
