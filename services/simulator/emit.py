# SPDX-License-Identifier: EUPL-1.2
"""CloudEvents of the catalogue from the right partner source, with a realistic arrival lag.

Each fact is registered by its partner some time after its date (the `time` of the event): absence a few days
after the week, iJw care messages weeks later, employment from the payroll data a month or two later. Events
are held in a heap on their arrival and released in arrival order once the simulated clock has passed it, so
the stream is ordered by arrival and not by fact date. Events that would arrive after the simulated period have
not arrived yet and are left out.
"""

from __future__ import annotations

import heapq
import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache
from typing import Any

from services.simulator.partners import SOURCE_OF

PREFIX = "nl.glansrijk."
SCHOOLS = frozenset({"vo", "mbo"})

# (least, most) days between a fact's date and its arrival, per event type.
LAG: dict[str, tuple[int, int]] = {
    "person.registered": (1, 10),
    "person.deregistered": (1, 14),
    "education.enrolled": (0, 30),
    "education.unenrolled": (0, 21),
    "education.qualified": (1, 30),
    "education.absence-reported": (4, 11),
    "education.exemption-granted": (1, 14),
    "education.exemption-ended": (1, 14),
    "education.mbo-applied": (0, 7),
    "work.employment-started": (20, 60),
    "work.employment-ended": (20, 60),
    "income.benefit-started": (0, 14),
    "income.benefit-ended": (0, 14),
    "care.started": (5, 45),
    "care.ended": (5, 45),
    "support.contact": (0, 3),
    "support.trajectory-started": (0, 7),
    "support.trajectory-ended": (0, 7),
    "support.transition-plan": (0, 14),
    "support.life-domains-assessed": (0, 7),
}


@lru_cache(maxsize=8192)
def _day(ordinal: int) -> str:
    return date.fromordinal(ordinal).isoformat()


@lru_cache(maxsize=86400)
def _clock(second: int) -> str:
    return f"{second // 3600:02d}:{second // 60 % 60:02d}:{second % 60:02d}"


@dataclass(frozen=True, slots=True)
class SimEvent:
    """One event of the stream: the partner (handle) that posts it, and its CloudEvent."""

    partner: str
    body: dict[str, Any]

    @property
    def type(self) -> str:
        return str(self.body["type"])


class Emitter:
    """Builds events and releases them in order of arrival."""

    def __init__(self, rng: random.Random, seed: int, end: date) -> None:
        self.rng = rng
        self.seed = seed
        self.end_ordinal = end.toordinal()
        self.heap: list[tuple[int, int, SimEvent]] = []
        self.counter = 0
        self.late = 0  # facts whose event would arrive after the period
        # The go-live load: events arriving on the day `go_live` leave at once, at `go_live_second` of that day
        # (rising with the youth), instead of waiting in the heap: the whole history is never held at once.
        self.go_live: int | None = None
        self.go_live_second: int | None = None
        self.direct: list[SimEvent] = []

    def emit(
        self,
        partner: str,
        kind: str,
        youth: Any,
        fact: date,
        data: dict[str, Any],
        birth_date: bool = False,
        at: date | None = None,
        evening: bool = False,
    ) -> int | None:
        """An event about `youth` with fact date `fact`, arriving after the type's lag (or on `at`; in the evening
        of that day with `evening`, after the day's other events). Returns the day of arrival as an ordinal, or
        None when that lies after the period (the event is left out)."""
        draw = self.rng.random
        if at is None:
            least, most = LAG[kind]
            arrival = fact.toordinal() + least + int(draw() * (most - least + 1))
        else:
            arrival = at.toordinal()
        if arrival > self.end_ordinal:
            self.late += 1
            return None
        person: dict[str, Any] = {"bsn": youth.bsn}
        if birth_date:
            person["birthDate"] = youth.birth.isoformat()
        if partner in SCHOOLS:
            person["localId"] = f"{partner.upper()}-{youth.idx + 1:06d}"
        youth.seq += 1
        self.counter += 1
        direct = self.go_live_second is not None and arrival == self.go_live
        if direct:
            second = self.go_live_second or 0
        else:
            second = (20 if evening else 7) * 3600 + int(draw() * (4 if evening else 12) * 3600)
        stamp = f"{_day(arrival)}T{_clock(second)}Z"
        body = {
            "specversion": "1.0",
            "id": f"sim-{self.seed}-{youth.idx}-{youth.seq}",
            "source": SOURCE_OF[partner],
            "type": PREFIX + kind,
            "time": stamp,
            "datacontenttype": "application/json",
            "data": {"person": person, **data},
        }
        if direct:
            self.direct.append(SimEvent(partner, body))
        else:
            heapq.heappush(self.heap, (arrival * 86400 + second, self.counter, SimEvent(partner, body)))
        return arrival

    def take_direct(self) -> list[SimEvent]:
        """The go-live events emitted since the last call, in order."""
        taken, self.direct = self.direct, []
        return taken

    def release(self, before: date) -> Iterator[SimEvent]:
        """Every held event arriving before `before`, in order of arrival."""
        limit = before.toordinal() * 86400
        heap = self.heap
        while heap and heap[0][0] < limit:
            yield heapq.heappop(heap)[2]

    def release_all(self) -> Iterator[SimEvent]:
        yield from self.release(date.fromordinal(self.end_ordinal) + timedelta(days=1))
