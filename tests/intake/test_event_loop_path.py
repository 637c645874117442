# SPDX-License-Identifier: EUPL-1.2
"""A small request on Postgres is handled on the event loop, through SQLAlchemy's asyncio extension; a large
one, and any request on SQLite, in the threadpool (ADR 0036). Both ways store and answer the same."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
from fastapi import Request

from services.core.db import get_async_engine
from services.core.settings import reset_settings
from services.intake import api, repository_pipeline
from services.intake.dependencies import PostedBody
from tests.factories import TestPartner, bsn, event, post
from tests.intake.support import VALID, Partners, count, state
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


def test_a_failure_after_the_writes_on_the_event_loop_stores_nothing(
    client: Any, partners: Partners, ways: list[bool], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The events, youths and state were sent to Postgres before the failure: leaving without the commit rolls
    them back."""
    finish = repository_pipeline.PipelinedWrites.finish

    def fails_after_the_writes(writes: repository_pipeline.PipelinedWrites) -> None:
        finish(writes)
        raise RuntimeError("a failure after the writes")

    monkeypatch.setattr(repository_pipeline.PipelinedWrites, "finish", fails_after_the_writes)
    before = (count("events"), count("youths"), count("event_batches"), state())
    response = post(client, partners.youth_coach, _contact(partners.youth_coach, bsn()))
    assert response.status_code == 500
    assert response.headers["content-type"].startswith("application/problem+json")
    assert ways == [True]
    assert (count("events"), count("youths"), count("event_batches"), state()) == before

    monkeypatch.setattr(repository_pipeline.PipelinedWrites, "finish", finish)
    assert post(client, partners.youth_coach, _contact(partners.youth_coach, bsn())).status_code == 202


def test_a_single_event_on_the_event_loop_takes_four_round_trips(partners: Partners, tmp_path: Path) -> None:
    """As in the threadpool (tests/intake/test_lookahead.py): BEGIN, the key and the look-up, the writes, COMMIT."""
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
    assert counted == [4]
