# SPDX-License-Identifier: EUPL-1.2
"""Batched and single-event intake on a simulated population: the steady state of a running municipality.

The population (bench/population.py) is held back at its cutoff: the youths, their history and the partners
are stored up to four weeks before the evaluation date, and the simulator's events arriving after that are
what the partners post next. The batches here are those events, each partner's own in order of arrival, 1000 a
request (a school's weekly absence report, the BRP's changes, ...): mostly about youths Glansrijk knows, as
after the first load. The COPY baseline copies the same rows (the events as intake stores them, with the
youth's own id) into the same table.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import psycopg
from psycopg.types.json import Jsonb

from bench import common, population
from bench.intake_events import birth_date, event_time, stored_data

PREFIX = "nl.glansrijk."
SCOPES = ["events:write"]
# The single-event runs post one partner's events (one key): the vo school's, mostly weekly absence.
SINGLE_PARTNER = "vo"


@dataclass
class SimBatch:
    partner: str  # the simulated partner's handle
    events: list[dict[str, Any]]


@dataclass
class SimSetup:
    population: population.Population
    partner_ids: dict[str, uuid.UUID]  # handle -> partner id
    keys: dict[str, str]  # handle -> plain API key (events:write)
    copy_batch_id: int


def prepare(pop: population.Population) -> SimSetup:
    """The bench database as the population was at its cutoff, a key for each simulated partner, and an outbox
    row for the COPY baseline's events."""
    population.clone_held(pop, common.BENCH_DB)
    common.use_bench_database()
    from services.cli import admin
    from services.simulator.partners import PARTNERS

    by_oin = {p["oin"]: uuid.UUID(p["id"]) for p in admin.list_partners()}
    partner_ids = {p.handle: by_oin[p.oin] for p in PARTNERS}
    keys = {handle: admin.create_key(partner_id, SCOPES, None)[1] for handle, partner_id in partner_ids.items()}
    now = datetime.now(UTC)
    with psycopg.connect(common.bench_dsn()) as conn:
        row = conn.execute(
            "INSERT INTO event_batches (partner_id, received_at, event_count, raise_signals, evaluated_at)"
            " VALUES (%s, %s, 0, false, %s) RETURNING id",
            (partner_ids[PARTNERS[0].handle], now, now),
        ).fetchone()
        assert row is not None
    return SimSetup(pop, partner_ids, keys, int(row[0]))


def batches_after_cutoff(pop: population.Population, size: int, count: int) -> tuple[list[SimBatch], list[SimEvent]]:
    """The first `count` full batches of `size` events one partner posts after the cutoff (each partner's events
    gathered in order of arrival), and the events left over, in order of arrival, for the single-event runs."""
    waiting: dict[str, list[dict[str, Any]]] = {}
    full: list[SimBatch] = []
    stream = population.events_after_cutoff(pop)
    for event in stream:
        bodies = waiting.setdefault(event.partner, [])
        bodies.append(event.body)
        if len(bodies) == size:
            full.append(SimBatch(event.partner, list(bodies)))
            bodies.clear()
            if len(full) == count:
                break
    if len(full) < count:
        raise RuntimeError(
            f"the {pop.youths:,} youths' events after the cutoff give {len(full)} batches of {size}, not {count}: "
            "use fewer batches or a larger population"
        )
    left = [SimEvent(handle, body) for handle, bodies in waiting.items() for body in bodies]
    left.extend(SimEvent(e.partner, e.body) for e in stream)
    return full, left


@dataclass(frozen=True)
class SimEvent:
    partner: str
    body: dict[str, Any]


def youth_ids(events: list[dict[str, Any]]) -> dict[str, uuid.UUID]:
    """The stored youth of each BSN in `events` that the bench database knows (pseudonymised as intake does)."""
    from services.core.identity import pseudonymise

    numbers = {e["data"]["person"]["bsn"] for e in events}
    pseudonyms = {pseudonymise("bsn", n): n for n in numbers}
    with psycopg.connect(common.bench_dsn()) as conn:
        rows = conn.execute("SELECT pseudonym, id FROM youths WHERE pseudonym = ANY(%s)", (list(pseudonyms),))
        return {pseudonyms[bytes(p)]: i for p, i in rows}


def copy_rows(batch: SimBatch, setup: SimSetup, known: dict[str, uuid.UUID]) -> list[tuple[Any, ...]]:
    """The rows intake stores for `batch`, with other event ids, for COPY into `events` (a youth not stored yet,
    one the batch registers, takes the id of a stored one: the row is the same size)."""
    received = datetime.now(UTC)
    stand_in = next(iter(known.values()))
    partner_id = setup.partner_ids[batch.partner]
    return [
        (
            event["source"],
            event["id"] + "~copy",
            event["type"].removeprefix(PREFIX),
            event_time(event),
            partner_id,
            known.get(event["data"]["person"]["bsn"], stand_in),
            setup.copy_batch_id,
            received,
            Jsonb(stored_data(event)),
            birth_date(event),
            False,
        )
        for event in batch.events
    ]


def single_events(left: list[SimEvent], partner: str, prefix: str) -> Iterator[dict[str, Any]]:
    """`partner`'s left-over events one by one, under ids of their own (`prefix` and the round: each run of
    single events posts new events; a repeated report replaces the stored one, as a correction does)."""
    own = [e.body for e in left if e.partner == partner]
    if not own:
        raise RuntimeError(f"no events of {partner} after the batches")
    rounds = 0
    while True:
        for body in own:
            yield {**body, "id": f"{body['id']}-{prefix}{rounds}"}
        rounds += 1
