# SPDX-License-Identifier: EUPL-1.2
"""Sequence numbers reserved for a request's pipelined writes: one nextval stands for a block of 1000 (migration
0010, ADR 0031), no two requests share a number, and a database whose sequence steps by 1 still works."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import text

from services.core.db import get_engine, transaction
from services.intake import repository
from tests.factories import bsn, post
from tests.intake.support import Partners, rows
from tests.intake.test_concurrency import _absence


def _step() -> int:
    with get_engine().connect() as connection:
        return int(
            connection.execute(
                text("SELECT increment_by FROM pg_sequences WHERE sequencename = 'events_seq_seq'")
            ).scalar_one()
        )


def _reserve(count: int) -> list[int]:
    with transaction() as session:
        return repository.find_stored(session, {}, set(), reserve=count)[2]


@pytest.fixture
def step_of_one() -> Iterator[None]:
    """The sequence as a database made without migration 0010 has it, restored afterwards."""
    with get_engine().begin() as connection:
        connection.execute(text("ALTER SEQUENCE events_seq_seq INCREMENT BY 1"))
    try:
        yield
    finally:
        with get_engine().begin() as connection:
            connection.execute(text("ALTER SEQUENCE events_seq_seq INCREMENT BY 1000"))


def test_the_migrated_sequence_steps_by_a_block_of_a_full_batch() -> None:
    assert _step() == 1000


def test_reservations_are_consecutive_within_a_request_and_never_shared() -> None:
    first, second, single = _reserve(1000), _reserve(1000), _reserve(1)
    assert first == list(range(first[0], first[0] + 1000))
    assert len(set(first) | set(second) | set(single)) == 2001


def test_a_sequence_stepping_by_one_still_gives_distinct_numbers(step_of_one: None) -> None:
    first, second = _reserve(300), _reserve(300)
    assert len(first) == 300 and len(set(first) | set(second)) == 600


@pytest.mark.parametrize("fixture", ["step_of_one", None])
def test_a_batch_is_stored_with_the_reserved_numbers(
    client: Any, partners: Partners, fixture: str | None, request: pytest.FixtureRequest
) -> None:
    if fixture:
        request.getfixturevalue(fixture)
    body = [_absence(partners, bsn(), f"seq-{fixture}-{i}") for i in range(50)]
    assert post(client, partners.school, body).status_code == 202
    seqs = sorted(row["seq"] for row in rows("events") if row["event_id"].startswith(f"seq-{fixture}-"))
    assert len(seqs) == 50 and seqs == list(range(seqs[0], seqs[0] + 50))
