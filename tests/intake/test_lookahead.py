# SPDX-License-Identifier: EUPL-1.2
"""A small request looks up its caller's key and its events in one round trip (services/intake/lookahead.py),
and is refused exactly as before when anything is wrong with it."""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi import Request
from sqlalchemy import event as sqlalchemy_event
from sqlalchemy import text
from sqlalchemy.pool import Pool

from services.cli import admin
from services.core.db import get_engine, transaction
from services.core.dispatch import wait_for_tasks
from services.intake import api, lookahead
from services.intake.dependencies import PostedBody
from tests.factories import BATCH, STRUCTURED, TestPartner, bsn, event, make_partner, post
from tests.intake.support import VALID, Partners, count, rows, trajectory

EVENTS = "/intake/v1/events"


def _contact(partner: TestPartner, person: dict[str, str] | None = None) -> dict[str, Any]:
    return event(partner, "support.contact", VALID["support.contact"][1], person=person or {"bsn": bsn()})


def _request(partner: TestPartner, body: bytes, content_type: str = STRUCTURED["Content-Type"]) -> Request:
    headers = [(b"authorization", f"Bearer {partner.key}".encode()), (b"content-type", content_type.encode())]
    return Request({"type": "http", "method": "POST", "path": EVENTS, "headers": headers, "query_string": b""})


@dataclass
class Traced:
    """What the connections checked out meanwhile sent, read from libpq's protocol trace: round trips (every
    answer ends with one ReadyForQuery: a statement on its own, a pipeline's sync, a COMMIT) and statements
    (a Bind each, or a Query: BEGIN and COMMIT included)."""

    round_trips: int = 0
    statements: int = 0


@contextmanager
def round_trips(tmp_path: Path, pool: Pool | None = None) -> Iterator[Traced]:
    """`Traced` of the connections checked out of `pool` (the blocking engine's by default) meanwhile, filled in
    as the block ends."""
    wait_for_tasks()  # what earlier requests handed over
    trace = tmp_path / "libpq.trace"
    counted = Traced()
    with trace.open("w") as sink:
        me = threading.get_ident()  # not the embedded evaluation's thread, which may check out meanwhile
        tracing: list[Any] = []

        def traced(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
            if threading.get_ident() == me:
                _pgconn(dbapi_connection).trace(sink.fileno())
                tracing.append(dbapi_connection)

        def untraced(dbapi_connection: Any, _record: Any) -> None:
            if dbapi_connection in tracing:
                _pgconn(dbapi_connection).untrace()
                tracing.remove(dbapi_connection)

        pool = pool or get_engine().pool
        sqlalchemy_event.listen(pool, "checkout", traced)
        sqlalchemy_event.listen(pool, "checkin", untraced)
        try:
            yield counted
        finally:
            sqlalchemy_event.remove(pool, "checkout", traced)
            sqlalchemy_event.remove(pool, "checkin", untraced)
    messages = [tuple(line.split("\t")[1:4:2]) for line in trace.read_text().splitlines()]  # (F or B, message)
    counted.round_trips = messages.count(("B", "ReadyForQuery"))
    counted.statements = messages.count(("F", "Bind")) + messages.count(("F", "Query"))


def _pgconn(dbapi_connection: Any) -> Any:
    """libpq's connection under psycopg's, itself under SQLAlchemy's adapter on the event loop's engine."""
    return getattr(dbapi_connection, "driver_connection", dbapi_connection).pgconn


def _accept(partner: TestPartner, body: dict[str, Any] | list[dict[str, Any]]) -> Any:
    content_type = (BATCH if isinstance(body, list) else STRUCTURED)["Content-Type"]
    raw = json.dumps(body).encode()
    return api._accept_posted(_request(partner, raw, content_type), PostedBody(raw))


def test_a_single_event_takes_two_round_trips(partners: Partners, tmp_path: Path) -> None:
    coach = partners.youth_coach
    person = {"bsn": bsn()}
    assert _accept(coach, _contact(coach, person)).status_code == 202  # the key's last use is written once

    with round_trips(tmp_path) as counted:
        response = _accept(coach, _contact(coach, person))

    assert response.status_code == 202
    # The key and the look-up (outside a transaction), then the writes: one statement, committed as it ends (ADR
    # 0039). Before ADR 0038: four round trips (psycopg's BEGIN and the COMMIT one each); before ADR 0034 five
    # (the key and the look-up one each).
    assert (counted.round_trips, counted.statements) == (2, 3)
    assert count("events") == 2


def test_a_small_batch_takes_two_round_trips_too(partners: Partners, tmp_path: Path) -> None:
    coach = partners.youth_coach
    assert _accept(coach, _contact(coach)).status_code == 202

    with round_trips(tmp_path) as counted:
        response = _accept(coach, [_contact(coach) for _ in range(3)])

    assert response.status_code == 202
    assert json.loads(response.body)["accepted"] == 3
    assert (counted.round_trips, counted.statements) == (2, 3)  # three new youths too, in the same statement


def test_an_episode_started_and_ended_in_one_request_is_written_in_two_statements(
    partners: Partners, tmp_path: Path
) -> None:
    """The start and the end write the same episode row, which one statement may not touch twice: the writes
    then go BEGIN to COMMIT in one pipeline, still in two round trips (ADR 0039)."""
    coach = partners.youth_coach
    assert _accept(coach, _contact(coach)).status_code == 202
    person = {"bsn": bsn()}
    started, ended = trajectory(coach, person)

    with round_trips(tmp_path) as counted:
        response = _accept(coach, [ended, started])

    assert response.status_code == 202
    assert json.loads(response.body)["accepted"] == 2
    # The key and the look-up; BEGIN, the youth, the events, the state, the episode's end, COMMIT.
    assert (counted.round_trips, counted.statements) == (2, 8)
    (episode,) = rows("episodes")
    assert (str(episode["start_date"]), str(episode["end_date"])) == ("2026-01-21", "2026-05-01")

    # The start of another episode beside the end of this one write different rows: one statement.
    ended["id"], ended["data"]["date"] = "traj-1-ended-later", "2026-06-01"
    started["id"], started["data"]["episodeId"] = "traj-2-started", "traj-2"
    with round_trips(tmp_path) as counted:
        response = _accept(coach, [ended, started])
    assert json.loads(response.body)["accepted"] == 2
    assert (counted.round_trips, counted.statements) == (2, 3)
    ends = {r["episode_id"]: str(r["end_date"]) for r in rows("episodes")}
    assert ends == {"traj-1": "2026-06-01", "traj-2": "None"}


def test_a_write_after_the_key_was_used_joins_the_transaction_behind_a_savepoint(
    partners: Partners, tmp_path: Path
) -> None:
    """The key's last use is written between the look-up and the writes once in a while: a transaction is open
    then, and the writes join it (within a savepoint) instead of committing on their own; the caller's COMMIT
    ends both."""
    coach = partners.youth_coach
    assert _accept(coach, _contact(coach)).status_code == 202  # the partner read once (cached after)
    with transaction() as session:
        session.execute(text("UPDATE api_keys SET last_used_at = NULL"))

    with round_trips(tmp_path) as counted:
        response = _accept(coach, _contact(coach))

    assert response.status_code == 202
    # The key and the look-up; psycopg's BEGIN; the key's last use; the writes (a savepoint, the youth, the
    # events, the state); COMMIT.
    assert (counted.round_trips, counted.statements) == (5, 9)
    assert count("events") == 2
    assert [k["lastUsedAt"] is not None for k in admin.list_keys(None) if str(k["id"]) == coach.key_id] == [True]


def test_the_look_ahead_finds_the_key_the_youth_and_a_stored_pair(partners: Partners) -> None:
    coach = partners.youth_coach
    stored = _contact(coach)
    assert _accept(coach, stored).status_code == 202
    raw = json.dumps(stored).encode()

    with transaction() as session:
        ahead = lookahead.look_ahead(_request(coach, raw), PostedBody(raw), session)
        assert ahead is not None
        assert ahead.key is not None and ahead.key.id == uuid.UUID(coach.key_id)
        known_pairs, youths, _seqs = ahead.found
        assert known_pairs == {(stored["source"], stored["id"])}
        assert len(youths) == 1


@pytest.mark.parametrize(
    ("why", "content_type", "body"),
    [
        ("an invalid event", STRUCTURED["Content-Type"], b'{"specversion": "1.0"}'),
        ("not JSON", STRUCTURED["Content-Type"], b"{"),
        ("another content type", "text/plain", None),
        ("a body over one event's limit", STRUCTURED["Content-Type"], b" " * (64 * 1024 + 1)),
    ],
)
def test_anything_to_refuse_takes_the_usual_order(
    partners: Partners, why: str, content_type: str, body: bytes | None
) -> None:
    coach = partners.youth_coach
    raw = body if body is not None else json.dumps(_contact(coach)).encode()

    with transaction() as session:
        assert lookahead.look_ahead(_request(coach, raw, content_type), PostedBody(raw), session) is None, why


def test_an_unknown_key_with_a_valid_event_is_401_and_stores_nothing(client: Any, partners: Partners) -> None:
    coach = partners.youth_coach
    headers = {"Authorization": "Bearer glk_unknown", **STRUCTURED}

    response = client.post(EVENTS, content=json.dumps(_contact(coach)), headers=headers)

    assert response.status_code == 401
    assert count("events") == 0 and count("youths") == 0 and count("event_batches") == 0


def test_a_revoked_key_with_an_invalid_event_is_401_not_400(client: Any, partners: Partners) -> None:
    coach = partners.youth_coach
    admin.revoke_key(uuid.UUID(coach.key_id))
    invalid = {**_contact(coach), "time": "yesterday"}

    response = post(client, coach, invalid)

    assert response.status_code == 401


def test_a_key_without_events_write_is_403_before_the_content_type(client: Any) -> None:
    reader = make_partner(["youth-coach"], scopes=["signals:read"])
    headers = {**reader.headers, "Content-Type": "text/plain"}

    response = client.post(EVENTS, content=json.dumps(_contact(reader)), headers=headers)

    assert response.status_code == 403
    assert count("events") == 0


def test_a_foreign_source_is_403_and_stores_nothing(client: Any, partners: Partners) -> None:
    coach, school = partners.youth_coach, partners.school
    foreign = {**_contact(coach), "source": school.source}

    response = post(client, coach, foreign)

    assert response.status_code == 403
    assert count("events") == 0 and count("youths") == 0


@pytest.mark.parametrize("bad_id", ["ev-\x00-1", "ev-\ud800-1"], ids=["NUL", "unpaired surrogate"])
def test_an_id_postgres_cannot_store_is_401_without_a_key_and_400_with_one(
    client: Any, partners: Partners, bad_id: str
) -> None:
    coach = partners.youth_coach
    body = json.dumps({**_contact(coach), "id": bad_id})  # escaped: \u0000, \ud800

    anonymous = client.post(EVENTS, content=body, headers={"Authorization": "Bearer glk_unknown", **STRUCTURED})
    known = client.post(EVENTS, content=body, headers={**coach.headers, **STRUCTURED})

    assert anonymous.status_code == 401
    assert known.status_code == 400, known.text
    assert [p["name"] for p in known.json()["invalidParams"]] == ["/id"]
    assert count("events") == 0


def test_a_free_text_field_with_nul_is_400_naming_it(client: Any, partners: Partners) -> None:
    coach = partners.youth_coach
    body = json.dumps(_contact(coach, {"bsn": bsn(), "localId": "leerling\x001"}))

    response = client.post(EVENTS, content=body, headers={**coach.headers, **STRUCTURED})

    assert response.status_code == 400, response.text
    assert [p["name"] for p in response.json()["invalidParams"]] == ["/data/person/localId"]
    assert count("events") == 0
