# SPDX-License-Identifier: EUPL-1.2
"""Building a youth's facts through the intake API and reading signals back through the signals API.

Events are queued per partner and posted in batched mode when the test evaluates, with the municipality's
registration last: until a youth is registered it is outside the target group, so the evaluation that follows
each request cannot fire on half of the facts.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from services.core.dispatch import wait_for_tasks
from services.core.settings import reset_settings
from services.signals.evaluation import runner
from services.signals.evaluation.service import Outcome
from tests.factories import TestPartner, bsn, event, post
from tests.intake.support import SCHOOL_BRIN, Partners

_episodes = itertools.count(1)


@dataclass
class World:
    client: TestClient
    partners: Partners
    env: pytest.MonkeyPatch
    queued: dict[str, list[tuple[TestPartner, dict[str, Any]]]] = field(default_factory=lambda: defaultdict(list))

    def youth(self, birth: date | None, *, registered: date | None = None, number: str | None = None) -> Youth:
        youth = Youth(self, number or bsn())
        person: dict[str, Any] = {"bsn": youth.bsn}
        if birth is not None:
            person["birthDate"] = birth.isoformat()
        since = registered or birth or date(2010, 1, 1)
        data = {"since": since.isoformat(), "districtCode": "WK050501"}
        # The BRP registers a birth on or after the day itself (intake refuses a birth date after `time`).
        late = birth is not None and birth > date(2026, 1, 19)
        moment = datetime.combine(birth, datetime.min.time(), UTC) + timedelta(hours=12) if late and birth else None
        self.queue(self.partners.municipality, "person.registered", data, person, time=moment)
        return youth

    def queue(
        self,
        partner: TestPartner,
        type_: str,
        data: dict[str, Any],
        person: dict[str, Any],
        time: datetime | None = None,
    ) -> str:
        # Later events of one partner carry later times, so that corrections win as they would in real life.
        moment = time or datetime(2026, 1, 19, 8, 15, tzinfo=UTC) + timedelta(seconds=len(self.queued[partner.id]))
        item = event(partner, type_, data, person=person, time=moment)
        self.queued[partner.id].append((partner, item))
        return str(item["id"])

    def flush(self) -> None:
        municipality = self.partners.municipality.id
        order = sorted(self.queued, key=lambda partner_id: partner_id == municipality)
        for partner_id in order:
            items = self.queued.pop(partner_id)
            partner = items[0][0]
            for start in range(0, len(items), 1000):
                response = post(self.client, partner, [e for _, e in items[start : start + 1000]])
                assert response.status_code == 202, response.text
        wait_for_tasks()

    def scan(self, day: date) -> Outcome:
        """Post what is queued, with the clock on `day`, then run the daily scan as of `day` (the task entry)."""
        self.env.setenv("GLANSRIJK_TODAY", day.isoformat())
        reset_settings()
        self.flush()
        return runner.scan(day)

    def signals(self, partner: TestPartner, **query: str) -> list[dict[str, Any]]:
        """Every signal `partner` may see, following the cursor to the end."""
        url: str | None = "/signals/v1/signals"
        items: list[dict[str, Any]] = []
        params: dict[str, str] | None = query
        while url:
            response = self.client.get(url, headers=partner.headers, params=params)
            assert response.status_code == 200, response.text
            body = response.json()
            items += body["items"]
            url, params = body["next"], None
        return items


@dataclass
class Youth:
    world: World
    bsn: str

    @property
    def person(self) -> dict[str, Any]:
        return {"bsn": self.bsn}

    def _post(self, partner: TestPartner, type_: str, data: dict[str, Any]) -> str:
        return self.world.queue(partner, type_, data, self.person)

    def enrol(
        self,
        start: date,
        *,
        sector: str = "vo",
        track: str = "havo",
        grade: int = 3,
        final_year: bool = False,
        brin: str = SCHOOL_BRIN,
        episode: str | None = None,
        outflow: str | None = None,
        end: date | None = None,
        reason: str = "dropout",
        by: TestPartner | None = None,
    ) -> str:
        """An enrolment posted by the school (or `by`: leerplicht may post any BRIN, from DUO)."""
        episode = episode or f"enr-{next(_episodes)}"
        data: dict[str, Any] = {
            "episodeId": episode,
            "brin": brin,
            "sector": sector,
            "track": track,
            "grade": grade,
            "finalYear": final_year,
            "startDate": start.isoformat(),
        }
        if sector == "mbo":
            data["pathway"] = "bol"
        if outflow is not None:
            data["outflowProfile"] = outflow
        self._post(by or self.world.partners.school, "education.enrolled", data)
        if end is not None:
            self.unenrol(episode, end, brin=brin, reason=reason, by=by)
        return episode

    def unenrol(
        self,
        episode: str,
        end: date,
        *,
        brin: str = SCHOOL_BRIN,
        reason: str = "dropout",
        by: TestPartner | None = None,
    ) -> str:
        data = {"episodeId": episode, "brin": brin, "endDate": end.isoformat(), "reason": reason}
        return self._post(by or self.world.partners.school, "education.unenrolled", data)

    def absence(self, week: date, unauthorized: float, *, scheduled: float = 26, brin: str = SCHOOL_BRIN) -> str:
        data = {
            "brin": brin,
            "weekStart": week.isoformat(),
            "scheduledHours": scheduled,
            "unauthorizedHours": unauthorized,
            "authorizedHours": 0,
        }
        return self._post(self.world.partners.school, "education.absence-reported", data)

    def qualify(self, level: str, day: date) -> str:
        return self._post(
            self.world.partners.school, "education.qualified", {"qualification": level, "date": day.isoformat()}
        )

    def exemption(self, start: date, end: date | None = None) -> None:
        episode = f"vr-{next(_episodes)}"
        leerplicht = self.world.partners.leerplicht
        self._post(
            leerplicht,
            "education.exemption-granted",
            {"episodeId": episode, "from": start.isoformat(), "article": "5a"},
        )
        if end is not None:
            self._post(
                leerplicht, "education.exemption-ended", {"episodeId": episode, "to": end.isoformat(), "article": "5a"}
            )

    def mbo_applied(self, day: date) -> str:
        return self._post(
            self.world.partners.school, "education.mbo-applied", {"date": day.isoformat(), "brin": "99ZZ"}
        )

    def care(self, start: date, end: date | None = None, *, framework: str = "jeugdwet") -> None:
        episode = f"zorg-{next(_episodes)}"
        care = self.world.partners.youth_care
        self._post(care, "care.started", {"episodeId": episode, "date": start.isoformat(), "framework": framework})
        if end is not None:
            self._post(care, "care.ended", {"episodeId": episode, "date": end.isoformat(), "framework": framework})

    def plan(self, day: date) -> str:
        return self._post(self.world.partners.youth_care, "support.transition-plan", {"date": day.isoformat()})

    def job(self, start: date, end: date | None = None) -> None:
        episode = f"job-{next(_episodes)}"
        social = self.world.partners.social
        self._post(
            social, "work.employment-started", {"episodeId": episode, "date": start.isoformat(), "hoursPerWeek": 24}
        )
        if end is not None:
            self._post(social, "work.employment-ended", {"episodeId": episode, "date": end.isoformat()})

    def contact(self, day: date) -> str:
        return self._post(
            self.world.partners.youth_coach, "support.contact", {"date": day.isoformat(), "channel": "phone"}
        )

    def trajectory(self, start: date, end: date | None = None, outcome: str = "education") -> str | None:
        """A support trajectory by the youth coach; returns the id of the ending event (the relapse dedupe key)."""
        episode = f"traj-{next(_episodes)}"
        coach = self.world.partners.youth_coach
        self._post(coach, "support.trajectory-started", {"episodeId": episode, "date": start.isoformat()})
        if end is None:
            return None
        return self._post(
            coach, "support.trajectory-ended", {"episodeId": episode, "date": end.isoformat(), "outcome": outcome}
        )


def of_type(items: list[dict[str, Any]], type_: str) -> list[dict[str, Any]]:
    return [item for item in items if item["type"] == type_]
