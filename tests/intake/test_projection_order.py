# SPDX-License-Identifier: EUPL-1.2
"""State depends on the dates and times inside events, never on the order in which they arrive."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from services.core.db import session_factory
from services.intake.envelope import RawEvents, validate_events
from services.intake.service import accept_events
from tests.factories import TestPartner, bsn, event, make_partner, post
from tests.intake.support import SCHOOL_BRIN, Partners, forget_youths, rows, state


def _at(hour: int) -> str:
    return f"2026-01-19T{hour:02d}:00:00Z"


def _scenario(partners: Partners, number: str) -> list[tuple[TestPartner, dict[str, Any]]]:
    """(poster, event): an enrolment and its correction, an unenrolment, two absence reports for one week,
    a care episode, a partner's birth date against the BRP's, a benefit and a support contact."""
    p = {"bsn": number}
    enrolment = {
        "episodeId": "enr-1",
        "brin": SCHOOL_BRIN,
        "sector": "vo",
        "track": "vmbo-kb",
        "grade": 3,
        "finalYear": False,
        "startDate": "2025-08-18",
    }
    absence = {"brin": SCHOOL_BRIN, "weekStart": "2026-01-12", "scheduledHours": 26, "authorizedHours": 0}
    return [
        (
            partners.municipality,
            event(
                partners.municipality,
                "person.registered",
                {"districtCode": "WK050501", "since": "2010-04-02"},
                person={**p, "birthDate": "2010-04-02"},
                time=_at(1),
                id_="brp-1",
            ),
        ),
        (partners.school, event(partners.school, "education.enrolled", enrolment, person=p, time=_at(2), id_="e-1")),
        (
            partners.school,
            event(
                partners.school,
                "education.enrolled",
                {**enrolment, "grade": 4, "track": "vmbo-gt", "finalYear": True},
                person=p,
                time=_at(3),
                id_="e-2",
            ),
        ),
        (
            partners.school,
            event(
                partners.school,
                "education.unenrolled",
                {"episodeId": "enr-1", "brin": SCHOOL_BRIN, "endDate": "2026-01-16", "reason": "dropout"},
                person=p,
                time=_at(4),
                id_="u-1",
            ),
        ),
        (
            partners.school,
            event(
                partners.school,
                "education.absence-reported",
                {**absence, "unauthorizedHours": 6},
                person=p,
                time=_at(5),
                id_="a-1",
            ),
        ),
        (
            partners.school,
            event(
                partners.school,
                "education.absence-reported",
                {**absence, "unauthorizedHours": 12},
                person=p,
                time=_at(9),
                id_="a-2",
            ),
        ),
        (
            partners.youth_care,
            event(
                partners.youth_care,
                "care.started",
                {"episodeId": "z-1", "date": "2025-10-01", "framework": "jeugdwet", "kind": "45"},
                person=p,
                time=_at(6),
                id_="c-1",
            ),
        ),
        (
            partners.youth_care,
            event(
                partners.youth_care,
                "care.ended",
                {"episodeId": "z-1", "date": "2026-02-28", "framework": "jeugdwet"},
                person=p,
                time=_at(7),
                id_="c-2",
            ),
        ),
        (
            partners.youth_coach,
            event(
                partners.youth_coach,
                "support.contact",
                {"date": "2026-01-20", "channel": "phone"},
                person={**p, "birthDate": "2010-05-05"},
                time=_at(8),
                id_="s-1",
            ),
        ),
        (
            partners.social,
            event(
                partners.social,
                "income.benefit-started",
                {"episodeId": "b-1", "date": "2026-01-01", "kind": "ww"},
                person=p,
                time=_at(10),
                id_="b-1",
            ),
        ),
    ]


def _post_one_by_one(client: Any, scenario: list[tuple[TestPartner, dict[str, Any]]]) -> None:
    for poster, sent in scenario:
        response = post(client, poster, sent)
        assert response.status_code == 202, response.text
        assert response.json()["accepted"] == 1


def _check_expected(number: str) -> None:
    dump = state()
    profile = [json.loads(r) for r in dump["youth_profiles"]]
    assert [(p["birth_date"], p["birth_date_rank"], p["youth"]) for p in profile] == [("2010-04-02", 2, number)]
    [period] = rows("enrolment_periods")
    assert (period["grade"], period["track"], period["final_year"]) == (4, "vmbo-gt", True)
    [end] = rows("enrolment_ends")
    assert (str(end["end_date"]), end["reason"]) == ("2026-01-16", "dropout")
    [week] = rows("absence_weeks")
    assert week["unauthorized_hours"] == 12.0
    episodes = {e["kind"]: e for e in rows("episodes")}
    care = episodes["care"]
    assert (str(care["start_date"]), str(care["end_date"]), care["category"]) == (
        "2025-10-01",
        "2026-02-28",
        "jeugdwet",
    )
    assert care["start_attrs"] == {"framework": "jeugdwet", "kind": "45"}
    assert episodes["benefit"]["category"] == "ww"


def test_in_order_and_reversed_give_the_same_state(client: Any, partners: Partners) -> None:
    number = bsn()
    scenario = _scenario(partners, number)

    _post_one_by_one(client, scenario)
    _check_expected(number)
    in_order = state()

    forget_youths()
    assert all(not table for table in state().values())
    _post_one_by_one(client, list(reversed(scenario)))
    _check_expected(number)

    assert state() == in_order


def test_batched_in_reverse_equals_one_by_one(client: Any, partners: Partners) -> None:
    number = bsn()
    scenario = _scenario(partners, number)
    _post_one_by_one(client, scenario)
    one_by_one = state()

    forget_youths()
    by_poster: dict[str, list[dict[str, Any]]] = {}
    posters = {}
    for poster, sent in reversed(scenario):
        by_poster.setdefault(poster.id, []).append(sent)
        posters[poster.id] = poster
    for poster_id, batch in by_poster.items():
        assert post(client, posters[poster_id], batch).status_code == 202

    assert state() == one_by_one


def test_care_ended_before_care_started_and_corrected_ends(client: Any, partners: Partners) -> None:
    number = bsn()
    care = partners.youth_care

    def care_event(side: str, framework: str, day: str, hour: int, id_: str) -> dict[str, Any]:
        data = {"episodeId": "z-9", "date": day, "framework": framework}
        return event(care, f"care.{side}", data, person={"bsn": number}, time=_at(hour), id_=id_)

    end = care_event("ended", "wmo", "2026-02-01", 5, "end-1")
    corrected_end = care_event("ended", "jeugdwet", "2026-02-28", 6, "end-2")
    start = care_event("started", "jeugdwet", "2025-10-01", 4, "start-1")
    outcomes = []
    for order in ([end, corrected_end], [corrected_end, end]):
        forget_youths()
        for sent in order:
            assert post(client, care, sent).status_code == 202
        # Only ends so far: the newest end is the episode's, whatever came first.
        [only_ends] = rows("episodes")
        assert (only_ends["start_date"], str(only_ends["end_date"]), only_ends["category"]) == (
            None,
            "2026-02-28",
            "jeugdwet",
        )
        assert post(client, care, start).status_code == 202
        outcomes.append(state())
    assert outcomes[0] == outcomes[1]
    [episode] = rows("episodes")
    assert (str(episode["start_date"]), str(episode["end_date"]), episode["end_event_id"]) == (
        "2025-10-01",
        "2026-02-28",
        "end-2",
    )


def test_the_brp_birth_date_wins_over_a_later_partner_date(client: Any, partners: Partners) -> None:
    number = bsn()
    partner_date = event(
        partners.youth_coach,
        "support.contact",
        {"date": "2026-01-20", "channel": "phone"},
        person={"bsn": number, "birthDate": "2011-11-11"},
        time=_at(23),
    )
    assert post(client, partners.youth_coach, partner_date).status_code == 202
    assert [(str(p["birth_date"]), p["birth_date_rank"]) for p in rows("youth_profiles")] == [("2011-11-11", 1)]

    brp = _scenario(partners, number)[0]
    assert post(client, brp[0], brp[1]).status_code == 202
    later = event(
        partners.school,
        "education.qualified",
        {"qualification": "vmbo-kb", "date": "2025-07-01"},
        person={"bsn": number, "birthDate": "2012-12-12"},
        time=_at(23),
    )
    assert post(client, partners.school, later).status_code == 202

    assert [(str(p["birth_date"]), p["birth_date_rank"]) for p in rows("youth_profiles")] == [("2010-04-02", 2)]


# A property: for any set of events about two youths, any two arrival orders (in any chunking) give one state.

NUMBERS = ("111222333", "123456782")
TIMES = [datetime(2026, 1, 19, 8, minute, tzinfo=UTC) for minute in range(0, 40, 5)]


def _person(number: str, birth: str | None) -> dict[str, Any]:
    return {"bsn": number} if birth is None else {"bsn": number, "birthDate": birth}


births = st.sampled_from([None, "2009-03-01", "2010-06-15"])
numbers = st.sampled_from(NUMBERS)

absence_st = st.builds(
    lambda n, week, hours, b: (
        "education.absence-reported",
        _person(n, b),
        {
            "brin": SCHOOL_BRIN,
            "weekStart": week,
            "scheduledHours": 20,
            "unauthorizedHours": hours,
            "authorizedHours": 0,
        },
    ),
    numbers,
    st.sampled_from(["2026-01-05", "2026-01-12"]),
    st.integers(0, 20),
    births,
)
enrolled_st = st.builds(
    lambda n, ep, start, grade, track: (
        "education.enrolled",
        {"bsn": n},
        {
            "episodeId": ep,
            "brin": SCHOOL_BRIN,
            "sector": "vo",
            "track": track,
            "grade": grade,
            "finalYear": grade == 4,
            "startDate": start,
        },
    ),
    numbers,
    st.sampled_from(["e1", "e2"]),
    st.sampled_from(["2025-08-18", "2026-01-05"]),
    st.integers(1, 4),
    st.sampled_from(["havo", "vwo"]),
)
unenrolled_st = st.builds(
    lambda n, ep, end, reason: (
        "education.unenrolled",
        {"bsn": n},
        {"episodeId": ep, "brin": SCHOOL_BRIN, "endDate": end, "reason": reason},
    ),
    numbers,
    st.sampled_from(["e1", "e2"]),
    st.sampled_from(["2026-01-16", "2026-03-31"]),
    st.sampled_from(["transfer", "dropout"]),
)
care_st = st.builds(
    lambda n, side, ep, day, framework: (
        f"care.{side}",
        {"bsn": n},
        {"episodeId": ep, "date": day, "framework": framework},
    ),
    numbers,
    st.sampled_from(["started", "ended"]),
    st.sampled_from(["z1", "z2"]),
    st.sampled_from(["2025-10-01", "2026-02-28"]),
    st.sampled_from(["jeugdwet", "wmo"]),
)
registered_st = st.builds(
    lambda n, birth, district: (
        "person.registered",
        {"bsn": n, "birthDate": birth},
        {"districtCode": district, "since": "2012-01-01"},
    ),
    numbers,
    st.sampled_from(["2009-03-01", "2010-06-15"]),
    st.sampled_from(["WK050501", "WK050502"]),
)
contact_st = st.builds(
    lambda n, b, day: ("support.contact", _person(n, b), {"date": day, "channel": "phone"}),
    numbers,
    births,
    st.sampled_from(["2026-01-20", "2026-02-20"]),
)
any_event = st.one_of(absence_st, enrolled_st, unenrolled_st, care_st, registered_st, contact_st)


@st.composite
def histories(draw: st.DrawFn) -> tuple[list[tuple[str, dict[str, Any], dict[str, Any], datetime, str]], ...]:
    specs = draw(st.lists(any_event, min_size=1, max_size=12))
    events = [(t, p, d, draw(st.sampled_from(TIMES)), f"h-{i}") for i, (t, p, d) in enumerate(specs)]
    retracted = draw(st.lists(st.sampled_from([e[4] for e in events]), max_size=2, unique=True))
    for j, target in enumerate(retracted):
        events.append(
            ("event.retracted", {"bsn": draw(numbers)}, {"retractedId": target}, draw(st.sampled_from(TIMES)), f"r-{j}")
        )
    return events, draw(st.permutations(events)), draw(st.integers(1, 4)), draw(st.integers(1, 4))


def _apply(partner: TestPartner, specs: list[Any], chunk: int) -> dict[str, list[str]]:
    raw = [event(partner, t, dict(d), person=dict(p), time=moment, id_=i) for t, p, d, moment, i in specs]
    session = session_factory()()
    try:
        for start in range(0, len(raw), chunk):
            part = raw[start : start + chunk]
            accept_events(session, partner_uuid(partner), validate_events(RawEvents(part, lambda _i, p: p)))
        return state(session)
    finally:
        session.rollback()
        session.close()


def partner_uuid(partner: TestPartner) -> uuid.UUID:
    return uuid.UUID(partner.id)


@pytest.fixture
def everyone() -> TestPartner:
    """One partner that may post every type used here (accept_events trusts its caller on authority)."""
    return make_partner(["school", "municipality", "youth-care"], brins=[SCHOOL_BRIN])


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(history=histories())
def test_the_projection_does_not_depend_on_arrival_order(history: Any, everyone: TestPartner) -> None:
    events, permuted, chunk_a, chunk_b = history

    first = _apply(everyone, events, chunk_a)
    second = _apply(everyone, list(permuted), chunk_b)

    assert first == second
    retracted = {e[2]["retractedId"] for e in events if e[0] == "event.retracted"}
    if len(retracted) == len([e for e in events if e[0] != "event.retracted"]):
        assert all(not rows_ for rows_ in first.values())
    else:
        assert any(first.values())
