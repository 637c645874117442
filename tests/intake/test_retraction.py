# SPDX-License-Identifier: EUPL-1.2
"""`event.retracted`: the named fact disappears from state, whenever the retraction arrives; only its source may."""

from __future__ import annotations

from typing import Any

from tests.factories import TestPartner, bsn, event, post
from tests.intake.support import SCHOOL_BRIN, Partners, count, rows, state


def _retract(partner: TestPartner, number: str, target: str, **kwargs: Any) -> dict[str, Any]:
    return event(partner, "event.retracted", {"retractedId": target}, person={"bsn": number}, **kwargs)


def _contact(partner: TestPartner, number: str, id_: str) -> dict[str, Any]:
    return event(
        partner, "support.contact", {"date": "2026-01-20", "channel": "phone"}, person={"bsn": number}, id_=id_
    )


def _flags() -> dict[str, bool]:
    return {r["event_id"]: r["retracted"] for r in rows("events")}


def test_a_retraction_removes_the_fact(client: Any, partners: Partners) -> None:
    coach, number = partners.youth_coach, bsn()
    assert post(client, coach, _contact(coach, number, "c-1")).status_code == 202
    assert count("facts") == 1

    response = post(client, coach, _retract(coach, number, "c-1", id_="r-1"))

    assert response.status_code == 202
    assert response.json()["accepted"] == 1
    assert count("facts") == 0
    assert _flags() == {"c-1": True, "r-1": False}


def test_a_retraction_that_arrives_first_still_wins(client: Any, partners: Partners) -> None:
    coach, number = partners.youth_coach, bsn()
    assert post(client, coach, _retract(coach, number, "c-1", id_="r-1")).status_code == 202

    response = post(client, coach, _contact(coach, number, "c-1"))

    assert response.status_code == 202
    assert response.json()["results"] == [{"index": 0, "id": "c-1", "status": "accepted"}]
    assert count("facts") == 0
    assert _flags() == {"c-1": True, "r-1": False}
    # Another fact of the youth is untouched.
    assert post(client, coach, _contact(coach, number, "c-2")).status_code == 202
    assert count("facts") == 1


def test_a_retraction_in_the_same_batch_in_either_order(client: Any, partners: Partners) -> None:
    coach = partners.youth_coach
    first, second = bsn(), bsn()
    batch = [
        _contact(coach, first, "c-1"),
        _retract(coach, first, "c-1", id_="r-1"),
        _retract(coach, second, "c-2", id_="r-2"),
        _contact(coach, second, "c-2"),
        _contact(coach, second, "c-3"),
    ]

    response = post(client, coach, batch)

    assert response.json()["accepted"] == 5
    assert [f["attrs"] for f in rows("facts")] == [{}]
    assert _flags() == {"c-1": True, "r-1": False, "r-2": False, "c-2": True, "c-3": False}


def test_retracting_the_latest_absence_report_brings_back_the_earlier_one(client: Any, partners: Partners) -> None:
    school, number = partners.school, bsn()
    week = {"brin": SCHOOL_BRIN, "weekStart": "2026-01-12", "scheduledHours": 26, "authorizedHours": 0}
    early = event(
        school,
        "education.absence-reported",
        {**week, "unauthorizedHours": 4},
        person={"bsn": number},
        time="2026-01-19T08:00:00Z",
        id_="a-1",
    )
    late = event(
        school,
        "education.absence-reported",
        {**week, "unauthorizedHours": 16},
        person={"bsn": number},
        time="2026-01-19T09:00:00Z",
        id_="a-2",
    )
    assert post(client, school, [early, late]).status_code == 202
    assert [r["unauthorized_hours"] for r in rows("absence_weeks")] == [16.0]

    assert post(client, school, _retract(school, number, "a-2")).status_code == 202

    assert [r["unauthorized_hours"] for r in rows("absence_weeks")] == [4.0]
    assert post(client, school, _retract(school, number, "a-1")).status_code == 202
    assert count("absence_weeks") == 0


def test_retracting_the_brp_registration(client: Any, partners: Partners) -> None:
    town, coach, number = partners.municipality, partners.youth_coach, bsn()
    brp = event(
        town,
        "person.registered",
        {"districtCode": "WK050501", "since": "2012-01-01"},
        person={"bsn": number, "birthDate": "2010-04-02"},
        id_="brp-1",
    )
    told = event(
        coach,
        "support.contact",
        {"date": "2026-01-20", "channel": "phone"},
        person={"bsn": number, "birthDate": "2010-05-05"},
    )
    assert post(client, town, brp).status_code == 202
    assert post(client, coach, told).status_code == 202
    assert [str(p["birth_date"]) for p in rows("youth_profiles")] == ["2010-04-02"]

    assert post(client, town, _retract(town, number, "brp-1")).status_code == 202

    assert count("registrations") == 0
    assert [(str(p["birth_date"]), p["birth_date_rank"]) for p in rows("youth_profiles")] == [("2010-05-05", 1)]


def test_retracting_an_episode_end(client: Any, partners: Partners) -> None:
    care, number = partners.youth_care, bsn()
    started = event(
        care,
        "care.started",
        {"episodeId": "z-1", "date": "2025-10-01", "framework": "jeugdwet"},
        person={"bsn": number},
    )
    ended = event(
        care,
        "care.ended",
        {"episodeId": "z-1", "date": "2026-02-28", "framework": "jeugdwet"},
        person={"bsn": number},
        id_="end-1",
    )
    assert post(client, care, [started, ended]).status_code == 202

    assert post(client, care, _retract(care, number, "end-1")).status_code == 202

    [episode] = rows("episodes")
    assert (str(episode["start_date"]), episode["end_date"], episode["end_event_id"]) == ("2025-10-01", None, None)


def test_another_source_cannot_retract(client: Any, partners: Partners) -> None:
    coach, care, number = partners.youth_coach, partners.youth_care, bsn()
    assert post(client, coach, _contact(coach, number, "c-1")).status_code == 202
    before = state()

    # Posting a retraction under the other partner's source is refused as a whole.
    spoofed = _retract(care, number, "c-1")
    spoofed["source"] = coach.source
    response = post(client, care, [spoofed])
    assert response.status_code == 403
    assert response.json()["forbiddenEvents"] == [{"index": 0, "reason": "the source belongs to another partner"}]

    # Under its own source, the same id names only that source's events: nothing of the coach's changes.
    own = _retract(care, number, "c-1")
    assert post(client, care, own).status_code == 202

    assert state() == before
    assert _flags()["c-1"] is False
