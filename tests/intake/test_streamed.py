# SPDX-License-Identifier: EUPL-1.2
"""Batches large enough to be validated and written in chunks (services/intake/streamed.py): the same answers
and the same stored rows as validating everything first. A batch of SIZE events is three chunks."""

from __future__ import annotations

from typing import Any

import pytest

from services.intake import streamed
from services.intake.streamed import MIN_CHUNK_EVENTS, STREAMED_MIN_EVENTS
from tests.factories import bsn, post
from tests.intake.support import Partners, count, rows
from tests.intake.test_concurrency import _absence

SIZE = STREAMED_MIN_EVENTS + 10
assert SIZE > 2 * MIN_CHUNK_EVENTS


def _statuses(response: Any) -> list[str]:
    return [r["status"] for r in response.json()["results"]]


def test_a_large_batch_with_known_and_new_youths_and_duplicates(client: Any, partners: Partners) -> None:
    numbers = [bsn() for _ in range(SIZE)]
    first = [_absence(partners, n, f"la-{i}") for i, n in enumerate(numbers[: SIZE // 2])]
    assert post(client, partners.school, first).status_code == 202
    youths_before = count("youths")
    # Half stored before (duplicates), a quarter new events about known youths, a quarter about new youths,
    # and one pair twice in the request.
    again = first[: SIZE // 4]
    known = [_absence(partners, n, f"la-known-{i}") for i, n in enumerate(numbers[SIZE // 4 : SIZE // 2])]
    new = [_absence(partners, n, f"la-new-{i}") for i, n in enumerate(numbers[SIZE // 2 :])]
    body = again + known + new + [new[0]]
    response = post(client, partners.school, body)
    assert response.status_code == 202
    statuses = _statuses(response)
    assert statuses == ["duplicate"] * len(again) + ["accepted"] * (len(known) + len(new)) + ["duplicate"]
    assert count("youths") == youths_before + len(new)
    stored = [row["event_id"] for row in rows("events")]
    assert len(stored) == len(set(stored)) == len(first) + len(known) + len(new)


def test_an_invalid_large_batch_stores_nothing_and_the_next_one_is_stored(client: Any, partners: Partners) -> None:
    body = [_absence(partners, bsn(), f"bad-{i}") for i in range(SIZE)]
    body[-1]["data"]["weekStart"] = "2026-01-20"  # a Tuesday
    response = post(client, partners.school, body)
    assert response.status_code == 400
    assert "/data/weekStart" in response.text
    assert count("events") == 0 and count("youths") == 0
    body[-1]["data"]["weekStart"] = "2026-01-12"
    assert post(client, partners.school, body).status_code == 202
    assert count("events") == SIZE


def test_a_large_batch_identified_by_onderwijsnummer(client: Any, partners: Partners) -> None:
    numbers = [bsn() for _ in range(SIZE)]  # nine digits passing the elfproef: valid onderwijsnummers too
    body = [_absence(partners, n, f"onr-{i}") for i, n in enumerate(numbers)]
    for event in body:
        event["data"]["person"] = {"onderwijsnummer": event["data"]["person"]["bsn"]}
    assert post(client, partners.school, body).status_code == 202
    again = post(client, partners.school, body)
    assert _statuses(again) == ["duplicate"] * SIZE
    assert count("youths") == SIZE


def test_a_new_youth_in_the_first_and_the_last_chunk_is_created_once(client: Any, partners: Partners) -> None:
    number = bsn()
    body = [_absence(partners, bsn(), f"chunk-{i}") for i in range(SIZE)]
    for event in (body[0], body[-1]):
        event["data"]["person"]["bsn"] = number
    body[-1]["data"]["weekStart"] = "2026-01-05"  # another week of the same youth
    response = post(client, partners.school, body)
    assert response.status_code == 202
    assert _statuses(response) == ["accepted"] * SIZE
    assert count("youths") == SIZE - 1
    weeks = [r for r in rows("absence_weeks") if r["youth_id"] == rows("events")[0]["youth_id"]]
    assert len(weeks) == 2
    (batch,) = rows("event_batches")
    assert batch["event_count"] == SIZE


@pytest.mark.parametrize("known", [False, True], ids=["new youth", "known youth"])
def test_a_week_corrected_in_a_later_chunk_keeps_the_newest_report(
    client: Any, partners: Partners, monkeypatch: pytest.MonkeyPatch, known: bool
) -> None:
    # The same week of the same youth in the first and the last chunk: one row, the newest report's, written
    # on the streamed way (a second insert of the row would fail and send the request the sequential way,
    # which this test forbids).
    number = bsn()
    if known:
        assert post(client, partners.school, [_absence(partners, number, "known-before")]).status_code == 202

    def no_sequential_way(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the request went the sequential way")

    monkeypatch.setattr(streamed.service, "accept_events", no_sequential_way)
    body = [_absence(partners, bsn(), f"corrected-{i}") for i in range(SIZE)]
    for event in (body[0], body[-1]):
        event["data"]["person"] = {"bsn": number, "localId": f"local-{event['id']}"}
    body[0]["data"]["unauthorizedHours"] = 1
    body[-1]["data"]["unauthorizedHours"] = 9
    body[-1]["time"] = "2026-01-19T09:00:00Z"  # later than the first one's: the newest report
    response = post(client, partners.school, body)
    assert response.status_code == 202
    assert _statuses(response) == ["accepted"] * SIZE
    youth = next(r["youth_id"] for r in rows("events") if r["event_id"] == body[0]["id"])
    (week,) = [r for r in rows("absence_weeks") if r["youth_id"] == youth]
    assert week["unauthorized_hours"] == 9
    (local,) = [r for r in rows("youth_local_ids") if r["youth_id"] == youth]
    assert local["local_id"] == f"local-{body[-1]['id']}"


def test_an_invalid_event_in_the_last_chunk_after_new_youths_stores_nothing(client: Any, partners: Partners) -> None:
    body = [_absence(partners, bsn(), f"late-bad-{i}") for i in range(SIZE)]
    body[-1]["data"]["scheduledHours"] = -1
    response = post(client, partners.school, body)
    assert response.status_code == 400
    assert count("events") == count("youths") == count("absence_weeks") == count("event_batches") == 0


def test_events_stored_before_in_the_last_chunk_are_duplicates(client: Any, partners: Partners) -> None:
    # The chunks before it were sent already when the stored pair fails the insert: all of it is rolled back
    # to the savepoint and the request goes the sequential way.
    stored = [_absence(partners, bsn(), f"before-{i}") for i in range(3)]
    assert post(client, partners.school, stored).status_code == 202
    body = [_absence(partners, bsn(), f"after-{i}") for i in range(SIZE)] + stored
    response = post(client, partners.school, body)
    assert response.status_code == 202
    assert _statuses(response) == ["accepted"] * SIZE + ["duplicate"] * len(stored)
    assert count("events") == SIZE + len(stored)
    assert count("youths") == SIZE + len(stored)
    assert sorted(r["event_count"] for r in rows("event_batches")) == [len(stored), SIZE]
