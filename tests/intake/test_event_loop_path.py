# SPDX-License-Identifier: EUPL-1.2
"""A small request on Postgres is handled on the event loop, through SQLAlchemy's asyncio extension; a large
one, and any request on SQLite, in the threadpool (ADR 0036). Both ways store and answer the same."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from fastapi import Request
from sqlalchemy import event as sqlalchemy_event

from services.core.db import get_async_engine, get_engine
from services.core.settings import reset_settings
from services.intake import api, repository_pipeline
from services.intake.dependencies import PostedBody
from services.intake.repository_projection import statement_of
from tests.factories import TestPartner, bsn, event, post
from tests.intake.support import VALID, Partners, count, state, trajectory
from tests.intake.test_lookahead import round_trips

EVENTS = "/intake/v1/events"


def _contact(partner: TestPartner, number: str) -> dict[str, Any]:
    return event(partner, "support.contact", VALID["support.contact"][1], person={"bsn": number})


def _request(authorization: str) -> Request:
    headers = [(b"authorization", authorization.encode()), (b"content-type", b"application/cloudevents+json")]
    return Request({"type": "http", "method": "POST", "path": EVENTS, "headers": headers, "query_string": b""})


def test_the_way_follows_the_database_the_size_and_the_credentials(settings_env: pytest.MonkeyPatch) -> None:
    key = _request("Bearer glk_some-key")
    limit = api.EVENT_LOOP_MAX_BYTES
    assert api._on_event_loop(key, PostedBody(b"x" * limit))
    assert not api._on_event_loop(key, PostedBody(b"x" * (limit + 1)))
    assert not api._on_event_loop(key, PostedBody(None))  # over the body limit: refused in its turn
    assert not api._on_event_loop(_request(""), PostedBody(b"x"))  # no key: refused in its turn

    # An OAuth2 token's verification may fetch the key set over HTTP, blocking: it takes a thread.
    token = _request("Bearer eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl")
    assert api._on_event_loop(token, PostedBody(b"x"))  # without the OAuth2 mode it is a key like any other
    settings_env.setenv("GLANSRIJK_OAUTH_JWKS_URL", "http://127.0.0.1:9/jwks.json")
    settings_env.setenv("GLANSRIJK_OAUTH_ISSUER", "https://login.example")
    settings_env.setenv("GLANSRIJK_OAUTH_AUDIENCE", "glansrijk")
    reset_settings()
    assert not api._on_event_loop(token, PostedBody(b"x"))
    assert api._on_event_loop(key, PostedBody(b"x"))

    settings_env.setenv("GLANSRIJK_DATABASE_URL", "sqlite:///./never-opened.db")
    reset_settings()
    assert not api._on_event_loop(key, PostedBody(b"x"))


def test_a_single_event_runs_on_the_event_loop_and_is_stored(client: Any, partners: Partners, ways: list[bool]) -> None:
    before = state()["facts"]
    response = post(client, partners.youth_coach, _contact(partners.youth_coach, bsn()))
    assert response.status_code == 202, response.text
    assert response.json()["accepted"] == 1
    assert ways == [True]
    assert len(state()["facts"]) == len(before) + 1, "the projection was written with the event"


def test_a_larger_batch_runs_in_the_threadpool_with_the_same_answer(
    client: Any, partners: Partners, ways: list[bool]
) -> None:
    small = [_contact(partners.youth_coach, bsn()) for _ in range(3)]
    large = [_contact(partners.youth_coach, bsn()) for _ in range(60)]
    assert len(json.dumps(large)) > api.EVENT_LOOP_MAX_BYTES
    answers = [post(client, partners.youth_coach, body) for body in (small, large)]
    assert [a.status_code for a in answers] == [202, 202]
    assert [a.json()["accepted"] for a in answers] == [3, 60]
    assert ways == [True, False]


def test_a_refusal_on_the_event_loop_stores_nothing(client: Any, partners: Partners, ways: list[bool]) -> None:
    before = count("events")
    good = _contact(partners.youth_coach, bsn())
    bad = _contact(partners.youth_coach, bsn())
    bad["data"]["channel"] = "carrier-pigeon"
    response = post(client, partners.youth_coach, [good, bad])
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("application/problem+json")
    assert "/1/data/channel" in response.text
    assert ways == [True]
    assert count("events") == before


def test_a_duplicate_on_the_event_loop_is_answered_as_one(client: Any, partners: Partners, ways: list[bool]) -> None:
    once = _contact(partners.youth_coach, bsn())
    first = post(client, partners.youth_coach, once)
    again = post(client, partners.youth_coach, once)
    assert (first.json()["accepted"], again.json()["duplicates"]) == (1, 1)
    assert ways == [True, True]


def test_a_failure_during_the_writes_on_the_event_loop_stores_nothing(
    client: Any, partners: Partners, ways: list[bool], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The youth, the outbox row, the events and the state were sent to Postgres in the writes' own transaction
    before the failure: it is rolled back, and the connection goes back to its pool as it came (ADR 0038). An
    episode's start and end in one request make the writes two statements and so a transaction (ADR 0039); in
    one statement, Postgres itself keeps all or nothing."""
    send = repository_pipeline._send_compiled
    ends = statement_of(("episode_ends",))
    sent: list[Any] = []

    def fails_before_the_end(connection: Any, dialect: Any, statement: Any, values: dict[str, Any]) -> Any:
        if statement is ends:
            raise RuntimeError("a failure before the COMMIT")
        sent.append(statement)
        return send(connection, dialect, statement, values)

    # The partner read and the key's last use written first: the request under test then writes nothing before
    # its pipeline, which begins and commits a transaction of its own.
    assert post(client, partners.youth_coach, _contact(partners.youth_coach, bsn())).status_code == 202
    monkeypatch.setattr(repository_pipeline, "_send_compiled", fails_before_the_end)
    started, ended = trajectory(partners.youth_coach, {"bsn": bsn()})
    before = (count("events"), count("youths"), count("event_batches"), state())
    with autocommit_at_checkin() as checked_in:
        response = post(client, partners.youth_coach, [started, ended])
    assert response.status_code == 500
    assert response.headers["content-type"].startswith("application/problem+json")
    assert ways == [True, True]
    assert repository_pipeline._INSERT_BATCH_AND_EVENTS in sent  # the events had gone to Postgres
    assert (count("events"), count("youths"), count("event_batches"), state()) == before
    assert checked_in and not any(checked_in)

    monkeypatch.setattr(repository_pipeline, "_send_compiled", send)
    assert post(client, partners.youth_coach, [started, ended]).status_code == 202


@contextmanager
def autocommit_at_checkin() -> Iterator[list[bool]]:
    """Whether each connection the event loop's engine got back meanwhile was in autocommit mode: the look-up and
    the writes switch it on for themselves (ADR 0038), and a connection handed on with it would commit every
    statement of the next request on its own."""
    pool = get_async_engine().sync_engine.pool
    states: list[bool] = []

    def checked_in(dbapi_connection: Any, _record: Any) -> None:
        states.append(dbapi_connection.driver_connection.autocommit)

    sqlalchemy_event.listen(pool, "checkin", checked_in)
    try:
        yield states
    finally:
        sqlalchemy_event.remove(pool, "checkin", checked_in)


def test_every_connection_goes_back_to_its_pool_out_of_autocommit(client: Any, partners: Partners) -> None:
    """Stored, refused after the look-up, a duplicate, and sent the sequential way by a stored retraction."""
    coach, number = partners.youth_coach, bsn()
    retraction = event(coach, "event.retracted", {"retractedId": "c-late"}, person={"bsn": number})
    with autocommit_at_checkin() as checked_in:
        stored = _contact(coach, number)
        assert post(client, coach, stored).status_code == 202
        assert post(client, coach, stored).json()["duplicates"] == 1
        foreign = _contact(coach, bsn())
        foreign["source"] = partners.school.source
        assert post(client, coach, foreign).status_code == 403
        assert post(client, coach, retraction).status_code == 202
        late = event(coach, "support.contact", VALID["support.contact"][1], person={"bsn": number}, id_="c-late")
        assert post(client, coach, late).json()["accepted"] == 1  # flagged: the sequential way stored it

    assert len(checked_in) >= 5 and not any(checked_in)
    assert count("facts") == 1  # the stored contact's; the retracted one's is not projected


def test_a_single_event_on_the_event_loop_takes_two_round_trips(partners: Partners, tmp_path: Path) -> None:
    """As in the threadpool (tests/intake/test_lookahead.py): the key and the look-up, then the writes in one
    statement."""
    coach = partners.youth_coach
    person = {"bsn": bsn()}

    def accept() -> Any:
        raw = json.dumps(event(coach, "support.contact", VALID["support.contact"][1], person=person)).encode()
        request = _request(f"Bearer {coach.key}")
        return asyncio.run(api._accept_on_event_loop(request, PostedBody(raw)))

    assert accept().status_code == 202  # the key's last use is written once
    with round_trips(tmp_path, get_async_engine().sync_engine.pool) as counted:
        response = accept()

    assert response.status_code == 202
    assert (counted.round_trips, counted.statements) == (2, 3)


def test_a_connection_left_in_autocommit_is_replaced_at_checkout(partners: Partners) -> None:
    """The pool's own guard (services/core/db.py), should a pipeline ever fail to switch autocommit off again."""
    engine = get_engine()
    with engine.connect() as connection:
        left = connection.connection.driver_connection
        assert left is not None
        left.autocommit = True

    for _ in range(engine.pool.size() + 2):  # every pooled connection in turn
        with engine.connect() as connection:
            driver = connection.connection.driver_connection
            assert driver is not None and driver.autocommit is False
    assert left.closed
