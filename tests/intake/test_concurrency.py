# SPDX-License-Identifier: EUPL-1.2
"""Two requests about the same new youth or the same event at the same moment: one youth, one event, and the
request that loses the race still answers as if it had come second (the pipelined writes fall back). A
connection lost during the pipelined writes answers 503 like any other database outage. Far more concurrent
requests than database slots are all stored (ADR 0032)."""

from __future__ import annotations

import asyncio
import json
import threading
import time
import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy import Connection, text

from services.app import intake
from services.core.clock import utcnow
from services.core.db import get_engine
from services.core.identity import encrypt, pseudonymise
from services.core.settings import reset_settings
from services.intake import repository_pipeline
from tests.factories import bsn, event, post
from tests.intake.support import VALID, Partners, rows


def _absence(partners: Partners, number: str, id_: str) -> dict[str, Any]:
    data = VALID["education.absence-reported"][1]
    return event(partners.school, "education.absence-reported", data, person={"bsn": number}, id_=id_)


def _wait_until_blocked(seconds: float = 10.0) -> None:
    """Until a session of this database waits for a lock (the request, on the uncommitted youth)."""
    deadline = time.monotonic() + seconds
    with get_engine().connect() as connection:
        while time.monotonic() < deadline:
            waiting = connection.execute(
                text(
                    "SELECT count(*) FROM pg_stat_activity"
                    " WHERE datname = current_database() AND wait_event_type = 'Lock'"
                )
            ).scalar_one()
            connection.rollback()
            if waiting:
                return
            time.sleep(0.05)
    raise AssertionError("the request never waited for the other transaction")


def _post_in_background(client: Any, partners: Partners, body: Any) -> tuple[threading.Thread, list[Any]]:
    answers: list[Any] = []
    thread = threading.Thread(target=lambda: answers.append(post(client, partners.school, body)))
    thread.start()
    return thread, answers


@pytest.fixture
def gathered(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """One entry per small request's writes sent as gathered (ADR 0039): True once sent, False if they failed."""
    sent: list[bool] = []
    send = repository_pipeline.PipelinedWrites.send_gathered

    def spied(writes: repository_pipeline.PipelinedWrites) -> None:
        sent.append(False)
        send(writes)
        sent[-1] = True

    monkeypatch.setattr(repository_pipeline.PipelinedWrites, "send_gathered", spied)
    return sent


@pytest.mark.parametrize("one_statement", [False, True], ids=["behind a savepoint", "in one statement"])
def test_a_youth_created_by_a_concurrent_transaction_is_used(
    client: Any, partners: Partners, gathered: list[bool], one_statement: bool
) -> None:
    # A key's first request writes its last use, which opens a transaction before the writes: they join it
    # behind a savepoint. After that, they are one statement of their own (ADR 0039).
    if one_statement:
        assert post(client, partners.school, [_absence(partners, bsn(), "abs-0")]).status_code == 202
    number = bsn()
    theirs = uuid.uuid4()
    with get_engine().connect() as other:
        other.execute(
            text(
                "INSERT INTO youths (id, pseudonym, identifier_kind, identifier_ciphertext, created_at)"
                " VALUES (:id, :pseudonym, 'bsn', :ciphertext, :now)"
            ),
            {"id": theirs, "pseudonym": pseudonymise("bsn", number), "ciphertext": encrypt(number), "now": utcnow()},
        )
        # Not committed yet: the request does not see the youth, creates its own and waits on the unique key.
        thread, answers = _post_in_background(client, partners, [_absence(partners, number, "abs-1")])
        _wait_until_blocked()
        other.commit()
        thread.join(30)

    assert answers and answers[0].status_code == 202
    assert answers[0].json()["accepted"] == 1
    assert gathered == ([False] if one_statement else [])  # the one statement lost the race
    assert [r["id"] for r in rows("youths") if r["id"] == theirs] == [theirs]
    assert len(rows("youths")) == 1 + one_statement
    assert [r["youth_id"] for r in rows("events") if r["event_id"] == "abs-1"] == [theirs]
    assert [r["youth_id"] for r in rows("absence_weeks")].count(theirs) == 1
    assert len(rows("event_batches")) == 1 + one_statement


def _hold_youth(other: Connection, number: str) -> None:
    """A youth with this BSN, created by another transaction that does not commit yet."""
    other.execute(
        text(
            "INSERT INTO youths (id, pseudonym, identifier_kind, identifier_ciphertext, created_at)"
            " VALUES (:id, :pseudonym, 'bsn', :ciphertext, :now)"
        ),
        {"id": uuid.uuid4(), "pseudonym": pseudonymise("bsn", number), "ciphertext": encrypt(number), "now": utcnow()},
    )


def test_a_connection_lost_during_the_pipelined_writes_answers_503(
    client: Any, partners: Partners, ways: list[bool]
) -> None:
    number = bsn()
    with get_engine().connect() as other:
        _hold_youth(other, number)
        thread, answers = _post_in_background(client, partners, [_absence(partners, number, "abs-1")])
        _wait_until_blocked()
        # The request's connection dies while its pipeline waits on the youth.
        other.execute(
            text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
        )
        other.rollback()
        thread.join(30)

    assert answers and answers[0].status_code == 503
    assert ways[0], "a single event runs on the event loop, whose engine must recover the same way"
    assert answers[0].headers["content-type"].startswith("application/problem+json")
    assert answers[0].headers["retry-after"]
    assert rows("events") == [] and rows("youths") == []
    # The pool replaced the connection: the same request now goes through.
    assert post(client, partners.school, [_absence(partners, number, "abs-1")]).status_code == 202
    assert len(rows("events")) == 1


def _store_event_uncommitted(other: Connection, partners: Partners, youth: uuid.UUID, id_: str) -> None:
    """An event with this id of a known youth, as a concurrent request would write it (not committed)."""
    now = utcnow()
    batch = other.execute(
        text(
            "INSERT INTO event_batches (partner_id, received_at, event_count, raise_signals)"
            " VALUES (:partner, :now, 1, false) RETURNING id"
        ),
        {"partner": partners.school.id, "now": now},
    ).scalar_one()
    other.execute(
        text(
            "INSERT INTO events (source, event_id, type, time, partner_id, youth_id, batch_id, received_at, data,"
            " retracted) VALUES (:source, :id, 'education.absence-reported', :now, :partner, :youth, :batch, :now,"
            " '{}', false)"
        ),
        {
            "source": partners.school.source,
            "id": id_,
            "now": now,
            "partner": partners.school.id,
            "youth": youth,
            "batch": batch,
        },
    )


def test_an_event_stored_by_a_concurrent_transaction_is_a_duplicate(
    client: Any, partners: Partners, gathered: list[bool]
) -> None:
    number = bsn()
    assert post(client, partners.school, [_absence(partners, number, "abs-0")]).status_code == 202
    [youth] = [r["id"] for r in rows("youths")]
    with get_engine().connect() as other:
        _store_event_uncommitted(other, partners, youth, "abs-1")
        # The request does not see abs-1 yet, inserts it too and waits on the unique key.
        thread, answers = _post_in_background(
            client, partners, [_absence(partners, number, "abs-1"), _absence(partners, number, "abs-2")]
        )
        _wait_until_blocked()
        other.commit()
        thread.join(30)

    assert answers and answers[0].status_code == 202
    assert gathered == [False]  # after the key's first request (behind a savepoint), one statement lost the race
    assert [r["status"] for r in answers[0].json()["results"]] == ["duplicate", "accepted"]
    assert sorted(r["event_id"] for r in rows("events")) == ["abs-0", "abs-1", "abs-2"]
    assert {r["youth_id"] for r in rows("events")} == {youth}
    assert len(rows("event_batches")) == 3


def test_many_more_concurrent_events_than_database_slots_are_all_stored(
    settings_env: pytest.MonkeyPatch, partners: Partners
) -> None:
    # Without the slots, the threadpool's 40 threads ended up waiting for the pool's 30 connections while the
    # requests holding those connections waited for a thread, until the pool's time-out answered 503.
    settings_env.setenv("GLANSRIJK_API_DATABASE_SESSIONS", "2")
    reset_settings()
    data = VALID["education.absence-reported"][1]
    bodies = [
        json.dumps(event(partners.school, "education.absence-reported", data, person={"bsn": bsn()}))
        for _ in range(120)
    ]
    headers = {**partners.school.headers, "Content-Type": "application/cloudevents+json"}

    async def post_all() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=intake())
        async with httpx.AsyncClient(transport=transport, base_url="http://intake", timeout=30) as client:
            return list(
                await asyncio.gather(*(client.post("/intake/v1/events", content=b, headers=headers) for b in bodies))
            )

    answers = asyncio.run(post_all())
    assert [a.status_code for a in answers] == [202] * len(bodies)
    assert len(rows("events")) == len(bodies)
