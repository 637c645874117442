# SPDX-License-Identifier: EUPL-1.2
"""`(source, id)` is unique: a pair seen before stores nothing and counts as a duplicate."""

from __future__ import annotations

from typing import Any

from tests.factories import bsn, event, post
from tests.intake.support import SCHOOL_BRIN, VALID, Partners, count, rows, state


def _absence(partners: Partners, number: str, hours: float, *, id_: str, time: str, local_id: str | None = None) -> Any:
    person: dict[str, Any] = {"bsn": number}
    if local_id is not None:
        person["localId"] = local_id
    data = {**VALID["education.absence-reported"][1], "unauthorizedHours": hours}
    return event(partners.school, "education.absence-reported", data, person=person, id_=id_, time=time)


def test_the_same_pair_twice_in_one_batch(client: Any, partners: Partners) -> None:
    number = bsn()
    first = _absence(partners, number, 4, id_="abs-1", time="2026-01-19T08:00:00Z")
    again = _absence(partners, number, 9, id_="abs-1", time="2026-01-19T09:00:00Z")
    other = _absence(partners, number, 1, id_="abs-2", time="2026-01-19T07:00:00Z")
    other["data"]["weekStart"] = "2026-01-05"

    response = post(client, partners.school, [first, again, other])

    assert response.status_code == 202
    assert response.json() == {
        "accepted": 2,
        "duplicates": 1,
        "results": [
            {"index": 0, "id": "abs-1", "status": "accepted"},
            {"index": 1, "id": "abs-1", "status": "duplicate"},
            {"index": 2, "id": "abs-2", "status": "accepted"},
        ],
    }
    assert count("events") == 2
    # The first of the pair is the one kept, even though the duplicate is later by `time`.
    hours = {str(r["week_start"]): r["unauthorized_hours"] for r in rows("absence_weeks")}
    assert hours == {"2026-01-12": 4.0, "2026-01-05": 1.0}
    assert [b["event_count"] for b in rows("event_batches")] == [2]


def test_the_same_pair_in_a_later_request_stores_nothing(client: Any, partners: Partners) -> None:
    number = bsn()
    first = _absence(partners, number, 4, id_="abs-1", time="2026-01-19T08:00:00Z", local_id="L-1")
    assert post(client, partners.school, first).status_code == 202
    before = {t: rows(t) for t in ("events", "youths", "youth_local_ids", "event_batches")}
    before_state = state()

    # Same pair, other content and a later time, even another person: all ignored.
    again = _absence(partners, bsn(), 9, id_="abs-1", time="2026-01-20T08:00:00Z", local_id="L-2")
    response = post(client, partners.school, [again])

    assert response.status_code == 202
    assert response.json() == {
        "accepted": 0,
        "duplicates": 1,
        "results": [{"index": 0, "id": "abs-1", "status": "duplicate"}],
    }
    assert state() == before_state
    assert {t: rows(t) for t in ("events", "youths", "youth_local_ids")} == {
        t: before[t] for t in ("events", "youths", "youth_local_ids")
    }
    # No outbox row waits for an evaluation of nothing.
    assert rows("event_batches") == before["event_batches"]


def test_a_duplicate_does_not_overwrite_the_local_id(client: Any, partners: Partners) -> None:
    number = bsn()
    first = _absence(partners, number, 4, id_="abs-1", time="2026-01-19T08:00:00Z", local_id="L-1")
    assert post(client, partners.school, first).status_code == 202

    # The duplicate travels with a new event, so the request does store something.
    again = _absence(partners, number, 4, id_="abs-1", time="2026-01-25T08:00:00Z", local_id="L-2")
    new = _absence(partners, bsn(), 4, id_="abs-2", time="2026-01-25T08:00:00Z", local_id="L-3")
    response = post(client, partners.school, [again, new])
    assert (response.json()["accepted"], response.json()["duplicates"]) == (1, 1)

    assert sorted(r["local_id"] for r in rows("youth_local_ids")) == ["L-1", "L-3"]


def test_the_same_id_from_two_sources_is_two_events(client: Any, partners: Partners) -> None:
    number = bsn()
    results = []
    for poster in (partners.youth_coach, partners.youth_care):
        sent = event(poster, "support.contact", VALID["support.contact"][1], person={"bsn": number}, id_="contact-1")
        response = post(client, poster, sent)
        assert response.status_code == 202
        results.append(response.json())

    assert [r["accepted"] for r in results] == [1, 1]
    assert sorted(r["source"] for r in rows("events")) == sorted(
        [partners.youth_coach.source, partners.youth_care.source]
    )
    assert count("facts") == 2
    assert count("youths") == 1


def test_duplicates_across_a_mixed_batch(client: Any, partners: Partners) -> None:
    number = bsn()
    old = _absence(partners, number, 4, id_="abs-1", time="2026-01-19T08:00:00Z")
    assert post(client, partners.school, old).status_code == 202
    new = _absence(partners, number, 2, id_="abs-2", time="2026-01-19T08:00:00Z")
    new["data"]["weekStart"] = "2026-01-05"

    response = post(client, partners.school, [new, old, new])

    assert [r["status"] for r in response.json()["results"]] == ["accepted", "duplicate", "duplicate"]
    assert (response.json()["accepted"], response.json()["duplicates"]) == (1, 2)
    assert count("events") == 2
    assert {r["brin"] for r in rows("absence_weeks")} == {SCHOOL_BRIN}
