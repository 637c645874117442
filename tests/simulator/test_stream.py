# SPDX-License-Identifier: EUPL-1.2
"""The simulator's stream: deterministic for a seed, valid for the intake, from the right partners, in a
realistic order of arrival, holidays respected, and streamed with bounded memory."""

from __future__ import annotations

import hashlib
import uuid
from collections import defaultdict, deque
from datetime import date, timedelta
from functools import cache
from typing import Any

import orjson
import pytest

from services.core.calendar import is_holiday_week
from services.core.identity import passes_elfproef
from services.core.repository import PartnerProfile
from services.intake.catalogue import CATALOGUE, PREFIX
from services.intake.envelope import RawEvents, authority_problem, validate_events
from services.simulator import Config, Simulation
from services.simulator.partners import FAKE_OIN_PREFIX, PARTNER_BY_HANDLE, PARTNERS

# School holidays of region midden fall in the shipped calendar data for this whole period.
START = date(2025, 9, 1)


def digest(config: Config) -> str:
    sha = hashlib.sha256()
    for event in Simulation(config).events():
        sha.update(orjson.dumps(event.body))
    return sha.hexdigest()


@cache
def year_of_events() -> list[Any]:
    """1200 youths over a school year (about 30,000 events), shared by the tests of this module."""
    return list(Simulation(Config(youths=1200, start=START, months=12, seed=11)).events())


def test_the_same_seed_gives_the_same_stream_and_another_seed_another() -> None:
    config = Config(youths=250, start=START, months=4, seed=5)
    assert digest(config) == digest(config)
    assert digest(Config(youths=250, start=START, months=4, seed=6)) != digest(config)


def profile(handle: str) -> PartnerProfile:
    partner = PARTNER_BY_HANDLE[handle]
    roles = frozenset(role.value for role in partner.roles)
    return PartnerProfile(uuid.uuid4(), partner.name, partner.oin, None, roles, dict.fromkeys(partner.brins, "midden"))


def test_every_event_passes_the_intake_checks_of_its_partner() -> None:
    by_partner: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for event in year_of_events():
        by_partner[event.partner].append(event.body)
    assert set(by_partner) == {p.handle for p in PARTNERS}
    for handle, bodies in by_partner.items():
        for first in range(0, len(bodies), 1000):
            batch = bodies[first : first + 1000]
            assert authority_problem(batch, profile(handle)) is None, handle
            valid = validate_events(RawEvents(batch, lambda i, path: f"/{i}{path}"))
            assert len(valid) == len(batch)


def test_a_year_of_a_few_thousand_youths_has_every_kind_of_fact() -> None:
    simulation = Simulation(Config(youths=3000, start=START, months=12, seed=2026))
    deque(simulation.events(), maxlen=0)  # run the simulation through; the test reads what it counted
    # retractions are a partner's correction of its own mistake, not a fact of a youth's life
    assert set(simulation.kinds) == set(CATALOGUE) - {"event.retracted"}, set(CATALOGUE) - set(simulation.kinds)


def test_identifiers_are_fake_and_nothing_forbidden_is_emitted() -> None:
    ids: set[tuple[str, str]] = set()
    for event in year_of_events():
        body = event.body
        person = body["data"]["person"]
        assert passes_elfproef(person["bsn"])
        assert (body["source"], body["id"]) not in ids
        ids.add((body["source"], body["id"]))
        assert "subject" not in body
        assert not {"postcode4", "gender", "nationality", "ethnicity", "religion"} & set(body["data"])
        assert body["source"].startswith(f"urn:nld:oin:{FAKE_OIN_PREFIX}")  # fake OINs no organisation holds


def test_events_leave_in_order_of_arrival_and_facts_arrive_late_and_out_of_order() -> None:
    times = [event.body["time"] for event in year_of_events()]
    assert times == sorted(times)
    late = 0
    previous_fact = ""
    out_of_order = 0
    for event in year_of_events():
        data = event.body["data"]
        fact = data.get("weekStart") or data.get("date") or data.get("startDate") or data.get("endDate") or ""
        if fact and event.body["time"][:10] > fact:
            late += 1
        if fact and previous_fact and fact < previous_fact:
            out_of_order += 1
        previous_fact = fact or previous_fact
    assert late > len(times) * 0.9
    assert out_of_order > len(times) * 0.05


def test_absence_respects_the_school_holidays_of_the_calendar() -> None:
    weeks: dict[str, set[date]] = defaultdict(set)
    for event in year_of_events():
        if event.type != PREFIX + "education.absence-reported":
            continue
        data = event.body["data"]
        monday = date.fromisoformat(data["weekStart"])
        holiday = is_holiday_week(monday, "midden")
        if data["brin"] == "99MB":  # mbo sets its own calendar: it reports the weeks it is closed as 0 hours
            assert (data["scheduledHours"] == 0) == bool(holiday), data
        else:
            assert holiday is False, data
            assert data["unauthorizedHours"] + data["authorizedHours"] <= data["scheduledHours"]
        weeks[data["brin"]].add(monday)
    summer = {date(2026, 7, 20) + timedelta(weeks=n) for n in range(6)}
    assert not summer & weeks["99VO"]
    assert len(weeks["99VO"]) >= 38  # a school year has about 40 lesweken


def test_the_stream_holds_only_the_events_not_yet_arrived() -> None:
    simulation = Simulation(Config(youths=400, start=START, months=12, seed=3))
    held = 0
    total = 0
    for _ in simulation.events():
        total += 1
        held = max(held, len(simulation.em.heap))
    # the go-live load (all history) is held at the start; after it, a few weeks of arrivals at most
    assert held < total / 3


@pytest.mark.parametrize("months", [1, 6])
def test_the_period_has_no_event_arriving_after_it(months: int) -> None:
    config = Config(youths=150, start=START, months=months, seed=9)
    events = list(Simulation(config).events())
    assert events
    assert max(e.body["time"][:10] for e in events) <= config.end.isoformat()
