# SPDX-License-Identifier: EUPL-1.2
"""A small request on Postgres is handled on the event loop, through SQLAlchemy's asyncio extension; a large
one, and any request on SQLite, in the threadpool (ADR 0036). Both ways store and answer the same."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from services.core.settings import reset_settings
from services.intake import api
from services.intake.dependencies import PostedBody
from tests.factories import TestPartner, bsn, event, post
from tests.intake.support import VALID, Partners, count, state

EVENTS = "/intake/v1/events"


def _on_a_running_loop() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


@pytest.fixture
def ways(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """For each request the handler saw: whether it ran on the event loop (True) or on a worker thread."""
    seen: list[bool] = []
    accept = api._accept

    def spied(*args: Any) -> Any:
        seen.append(_on_a_running_loop())
        return accept(*args)

    monkeypatch.setattr(api, "_accept", spied)
    return seen


def _contact(partner: TestPartner, number: str) -> dict[str, Any]:
    return event(partner, "support.contact", VALID["support.contact"][1], person={"bsn": number})


def test_the_on_event_loop_choice_follows_the_database_and_the_size(settings_env: pytest.MonkeyPatch) -> None:
    limit = 64 * 1024
    assert api._on_event_loop(PostedBody(b"x" * limit))
    assert not api._on_event_loop(PostedBody(b"x" * (limit + 1)))
    assert not api._on_event_loop(PostedBody(None))  # over the body limit: refused in the threadpool's order
    settings_env.setenv("GLANSRIJK_DATABASE_URL", "sqlite:///./never-opened.db")
    reset_settings()
    assert not api._on_event_loop(PostedBody(b"x"))


def test_a_single_event_runs_on_the_event_loop_and_is_stored(client: Any, partners: Partners, ways: list[bool]) -> None:
    before = state()["facts"]
    response = post(client, partners.youth_coach, _contact(partners.youth_coach, bsn()))
    assert response.status_code == 202, response.text
    assert response.json()["accepted"] == 1
    assert ways == [True]
    assert len(state()["facts"]) == len(before) + 1, "the projection was written with the event"


def test_a_batch_over_one_events_limit_runs_in_the_threadpool_with_the_same_answer(
    client: Any, partners: Partners, ways: list[bool]
) -> None:
    small = [_contact(partners.youth_coach, bsn()) for _ in range(3)]
    large = [_contact(partners.youth_coach, bsn()) for _ in range(300)]  # over 64 KiB
    assert len(json.dumps(large)) > 64 * 1024
    answers = [post(client, partners.youth_coach, body) for body in (small, large)]
    assert [a.status_code for a in answers] == [202, 202]
    assert [a.json()["accepted"] for a in answers] == [3, 300]
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
