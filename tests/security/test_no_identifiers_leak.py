# SPDX-License-Identifier: EUPL-1.2
"""A full simulated run (the simulator's population through intake, the rules, webhooks and reporting) in which
no BSN, birth date or postcode of any youth appears in a log line, a webhook body, a reporting response or an
error message (interface.md, "Conventions for every service").

The run's log records are caught at DEBUG on the root logger; every HTTP answer of 400 and up, every reporting
answer (JSON, CSV, OData) and every delivered webhook body is searched. Birth dates (1999-2014 for youths 12-26)
cannot be confused with the run's own dates (2025-2026), and a postcode is only searched for as a JSON string or
as a whole word outside a uuid, so the check has no false alarms by chance.
"""

from __future__ import annotations

import json
import logging
import re
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from services.cli import admin
from services.cli.demo import create_partners
from services.core.settings import reset_settings
from services.reporting.catalogue import INDICATORS
from services.reporting.tasks import run_refresh
from services.signals.evaluation import runner
from services.signals.webhooks import dispatch
from services.simulator.stream import Config, Simulation
from tests.signals.receiver import Receiver

START = date(2025, 9, 1)
MONTHS = 6
TODAY = date(2026, 3, 2)
YOUTHS = 150
POSTCODES = ["3311", "3312", "3314", "3317", "3319", "3328"]
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


@dataclass
class Identifiers:
    numbers: set[str] = field(default_factory=set)
    birth_dates: set[str] = field(default_factory=set)
    postcodes: set[str] = field(default_factory=set)

    def found_in(self, text: str) -> list[str]:
        """Every identifier that occurs in `text` as itself (not as a part of a longer number or a uuid)."""
        words = set(re.findall(r"(?<![\w-])[\w-]+(?![\w-])", UUID.sub(" ", text)))
        hits = [n for n in self.numbers if n in words or f'"{n}"' in text]
        hits += [d for d in self.birth_dates if d in text]
        hits += [p for p in self.postcodes if p in words]
        return hits


@dataclass
class Run:
    identifiers: Identifiers
    logs: list[str]
    errors: list[str]
    reports: list[str]
    webhooks: list[bytes]


class _Everything(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@pytest.fixture
def everything_logged() -> Iterator[_Everything]:
    handler = _Everything()
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s %(message)s"))
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    yield handler
    root.removeHandler(handler)
    root.setLevel(level)


def _population(identifiers: Identifiers) -> list[Any]:
    events = list(Simulation(Config(youths=YOUTHS, start=START, months=MONTHS, seed=11)).events())
    for index, event in enumerate(events):
        data = event.body["data"]
        person = data.get("person", {})
        identifiers.numbers |= {person[k] for k in ("bsn", "onderwijsnummer") if k in person}
        if "birthDate" in person:
            identifiers.birth_dates.add(person["birthDate"])
        if event.type == "nl.glansrijk.person.registered":
            # The simulator leaves the optional postcode out; a municipality sends it.
            data["postcode4"] = POSTCODES[index % len(POSTCODES)]
            identifiers.postcodes.add(data["postcode4"])
    assert identifiers.numbers and identifiers.birth_dates and identifiers.postcodes
    return events


def _post_all(client: TestClient, keys: dict[str, Any], events: list[Any], errors: list[str]) -> None:
    by_partner: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for event in events:
        by_partner[event.partner].append(event.body)
    headers = {"Content-Type": "application/cloudevents-batch+json"}
    for handle, bodies in by_partner.items():
        for first in range(0, len(bodies), 500):
            batch = json.dumps(bodies[first : first + 500])
            answer = client.post("/intake/v1/events", content=batch, headers={**keys[handle].headers, **headers})
            assert answer.status_code == 202, answer.text
    admin.wait_for_tasks()


def _provoke_errors(client: TestClient, keys: dict[str, Any], identifiers: Identifiers, errors: list[str]) -> None:
    """Requests that carry identifiers and fail: the answers must not echo them."""
    municipality = next(k for k in keys.values() if "municipality" in {r.value for r in k.partner.roles})
    number, birth = sorted(identifiers.numbers)[0], sorted(identifiers.birth_dates)[0]
    bad = {
        "specversion": "1.0",
        "id": "leak-1",
        "source": municipality.partner.source,
        "type": "nl.glansrijk.person.registered",
        "time": "2026-02-01T09:00:00Z",
        "data": {
            "person": {"bsn": number[:-1] + str((int(number[-1]) + 1) % 10), "birthDate": birth + "x"},
            "postcode4": POSTCODES[0] + "AB",
            "districtCode": "nowhere",
            "since": birth,
        },
    }
    headers = {**municipality.headers, "Content-Type": "application/cloudevents+json"}
    answers = [
        client.post("/intake/v1/events", content=json.dumps(bad), headers=headers),
        client.post("/intake/v1/events", content=json.dumps(bad)[:-5], headers=headers),
        client.post("/signals/v1/youths/search", json={"bsn": number, "onderwijsnummer": number}, headers=headers),
        client.post("/signals/v1/youths/search", json={"bsn": number + "0"}, headers=headers),
        client.post("/signals/v1/youths/search", json={"bsn": number}, headers={"X-Purpose": "leak test"}),
    ]
    foreign = next(k for k in keys.values() if "school" in {r.value for r in k.partner.roles})
    answers.append(client.post("/signals/v1/youths/search", json={"bsn": number}, headers=foreign.headers))
    for answer in answers:
        assert answer.status_code >= 400, answer.text
        errors.append(answer.text)
    identifiers.birth_dates.add(birth + "x")


def _deliver_everything() -> None:
    moment = datetime.now(UTC)
    for _ in range(50):
        if dispatch.deliver_round(lambda at=moment: at) == 0:
            return
        moment += timedelta(minutes=1)


def _read_reports(client: TestClient, key: Any, reports: list[str], errors: list[str]) -> None:
    def read(path: str, **headers: str) -> None:
        answer = client.get(path, headers={**key.headers, **headers})
        (errors if answer.status_code >= 400 else reports).append(answer.text)

    for indicator in INDICATORS:
        for period in indicator.period_kinds:
            base = f"/reporting/v1/indicators/{indicator.code}/observations?period={period}"
            read(base)
            read(base, Accept="text/csv")
            for dimension in indicator.dimensions:
                read(f"{base}&by={dimension}")
    read("/reporting/v1/groups?date=2026-02-28&by=district")
    read("/reporting/v1/odata/Observations?$top=1000")
    read("/reporting/v1/indicators")


@pytest.fixture
def run(
    client: TestClient, settings_env: pytest.MonkeyPatch, receiver: Receiver, everything_logged: _Everything
) -> Run:
    settings_env.setenv("GLANSRIJK_TODAY", TODAY.isoformat())
    settings_env.setenv("GLANSRIJK_ALLOW_HTTP_WEBHOOKS", "true")
    settings_env.setenv("GLANSRIJK_EDUCATION_DATA_COMPLETE", "true")
    reset_settings()
    identifiers = Identifiers()
    errors: list[str] = []
    reports: list[str] = []
    keys = {k.partner.handle: k for k in create_partners()}
    for key in keys.values():
        body = {"url": receiver.url, "types": ["nl.glansrijk.*"]}
        answer = client.post("/signals/v1/subscriptions", json=body, headers=key.headers)
        if answer.status_code != 403:  # keys without subscriptions:manage
            assert answer.status_code == 201, answer.text
    _post_all(client, keys, _population(identifiers), errors)
    runner.scan(TODAY)
    _deliver_everything()
    _provoke_errors(client, keys, identifiers, errors)
    run_refresh(TODAY, START - timedelta(days=1))
    reporter = next(k for k in keys.values() if "reporting:read" in {s.value for s in k.partner.scopes})
    _read_reports(client, reporter, reports, errors)
    return Run(identifiers, everything_logged.lines, errors, reports, [r.body for r in receiver.requests])


def test_no_identifier_in_logs_webhooks_reports_or_errors(run: Run) -> None:
    # The run must have produced something to search, or the check below would pass on nothing.
    assert len(run.webhooks) > 10 and any(b"nl.glansrijk.signal.raised" in body for body in run.webhooks)
    assert len(run.reports) > 50 and len(run.errors) >= 6 and len(run.logs) > 0
    # And the search finds what it looks for, in the shapes a leak would take.
    ids = run.identifiers
    number, birth, postcode = sorted(ids.numbers)[0], sorted(ids.birth_dates)[0], sorted(ids.postcodes)[0]
    assert ids.found_in(f"youth {number} posted") and ids.found_in(f'{{"bsn": "{number}"}}')
    assert ids.found_in(f"born {birth}") and ids.found_in(f'{{"postcode4": "{postcode}"}}')
    assert not ids.found_in(f"1{number} 0f{postcode}a-{postcode}-4abc")

    leaks = {
        "log line": run.logs,
        "webhook body": [body.decode() for body in run.webhooks],
        "reporting answer": run.reports,
        "error answer": run.errors,
    }
    found = {
        kind: [(t[:300], run.identifiers.found_in(t)) for t in texts if run.identifiers.found_in(t)]
        for kind, texts in leaks.items()
    }
    assert found == {kind: [] for kind in leaks}
