# SPDX-License-Identifier: EUPL-1.2
"""The floor under batched intake: a raw COPY of every row one batched request wrote, against a raw COPY of its
events alone (the baseline of the batched goal).

A request does not only store its events: it creates the youths seen for the first time, writes the outbox row,
and projects each event onto the youth's state and the partner's local id. Copying exactly those rows, with
nothing to validate, look up or merge, shows how close to the events-only COPY any implementation of the same
contract can come on this machine. It is a lower bound: state rows that a batch updated (youths seen before)
are left out, because their keys already exist.

Runs after the batched run, into a second database migrated like the bench database, with its partners
copied: the same tables, indexes and foreign keys.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass

import psycopg

from bench import common

FLOOR_DB = common.BENCH_DB + "_floor"
# In foreign-key order: youths and the outbox row before the events, the events before the state naming them.
TABLES = (
    "youths",
    "event_batches",
    "events",
    "youth_profiles",
    "youth_local_ids",
    "absence_weeks",
    "enrolment_periods",
    "enrolment_ends",
    "registrations",
    "facts",
    "episodes",
)
PARTNER_TABLES = ("partners", "partner_roles", "partner_brins")


def _queries(batch_id: int) -> dict[str, str]:
    """The rows batch `batch_id` wrote: its events, youths first seen in it, and the state rows whose version
    names one of its events (youth-keyed ones only for the youths it created)."""
    events = f"SELECT event_id FROM events WHERE batch_id = {batch_id}"
    seqs = f"SELECT seq FROM events WHERE batch_id = {batch_id}"
    created = (
        f"SELECT y.id FROM youths y WHERE y.id IN (SELECT youth_id FROM events WHERE batch_id = {batch_id})"
        f" AND NOT EXISTS (SELECT 1 FROM events e WHERE e.youth_id = y.id AND e.batch_id < {batch_id})"
    )

    def by_version(column: str) -> str:
        return f"split_part({column}, '|', 3) IN ({events})"

    return {
        "youths": f"SELECT * FROM youths WHERE id IN ({created})",
        "event_batches": f"SELECT * FROM event_batches WHERE id = {batch_id}",
        "events": f"SELECT * FROM events WHERE batch_id = {batch_id}",
        "youth_profiles": f"SELECT * FROM youth_profiles WHERE youth_id IN ({created})",
        "youth_local_ids": f"SELECT * FROM youth_local_ids WHERE youth_id IN ({created})",
        "absence_weeks": f"SELECT * FROM absence_weeks WHERE {by_version('version')}",
        "enrolment_periods": f"SELECT * FROM enrolment_periods WHERE {by_version('version')}",
        "enrolment_ends": f"SELECT * FROM enrolment_ends WHERE {by_version('version')}",
        "registrations": f"SELECT * FROM registrations WHERE event_seq IN ({seqs})",
        "facts": f"SELECT * FROM facts WHERE event_seq IN ({seqs})",
        "episodes": f"SELECT * FROM episodes WHERE {by_version('coalesce(start_version, end_version)')}",
    }


Rows = dict[str, tuple[list[str], bytes]]  # table -> (columns, COPY text)


def _read_batch(conn: psycopg.Connection[object], batch_id: int) -> Rows:
    rows: Rows = {}
    for table, query in _queries(batch_id).items():
        cursor = conn.execute(f"{query} LIMIT 0")
        columns = [d.name for d in cursor.description or ()]
        data = bytearray()
        with conn.cursor().copy(f"COPY ({query}) TO STDOUT") as copy:
            for chunk in copy:
                data += chunk
        rows[table] = (columns, bytes(data))
    return rows


def _copy(conn: psycopg.Connection[object], rows: Rows, tables: tuple[str, ...]) -> float:
    start = time.perf_counter()
    with conn.cursor() as cursor:
        for table in tables:
            columns, data = rows[table]
            if data:
                with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                    copy.write(data)
    conn.commit()
    return time.perf_counter() - start


@dataclass
class FloorResult:
    all_ms: float
    events_ms: float
    rows_per_batch: dict[str, int]
    batches: int

    @property
    def ceiling(self) -> float:
        return self.events_ms / self.all_ms


def _known_youths(batch_ids: list[int]) -> str:
    """The youths the batches name but did not create (stored before them): copied untimed, for the foreign
    key of their events."""
    ids = ", ".join(str(i) for i in batch_ids)
    return (
        f"SELECT * FROM youths y WHERE y.id IN (SELECT youth_id FROM events WHERE batch_id IN ({ids}))"
        f" AND EXISTS (SELECT 1 FROM events e WHERE e.youth_id = y.id AND e.batch_id < {min(batch_ids)})"
    )


def _create_floor_database(source: psycopg.Connection[object], batch_ids: list[int]) -> None:
    with psycopg.connect(common.admin_dsn(), autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {FLOOR_DB} WITH (FORCE)")
        admin.execute(f"CREATE DATABASE {FLOOR_DB}")
    url = common.bench_url().rsplit("/", 1)[0] + "/" + FLOOR_DB
    # Another process: this one's settings and engines stay on the bench database.
    subprocess.run(
        [sys.executable, "-c", "from services.cli import admin; admin.migrate()"],
        cwd=common.ROOT,
        env={**os.environ, "GLANSRIJK_DATABASE_URL": url},
        check=True,
        capture_output=True,
    )
    with psycopg.connect(common.admin_dsn(FLOOR_DB)) as target:
        for table, query in [*((t, t) for t in PARTNER_TABLES), ("youths", f"({_known_youths(batch_ids)})")]:
            data = bytearray()
            with source.cursor().copy(f"COPY {query} TO STDOUT") as copy:
                for chunk in copy:
                    data += chunk
            with target.cursor().copy(f"COPY {table} FROM STDIN") as copy:
                copy.write(bytes(data))


def measure_floor(batch_ids: list[int]) -> FloorResult:
    """Alternately, one batch's rows all copied (timed) and another's events alone (timed; its youths and
    outbox row before, its state after, untimed): both see the same growing tables."""
    try:
        with psycopg.connect(common.bench_dsn()) as source:
            batches = [_read_batch(source, batch_id) for batch_id in batch_ids]
            _create_floor_database(source, batch_ids)
        everything: list[float] = []
        events_only: list[float] = []
        with psycopg.connect(common.admin_dsn(FLOOR_DB)) as conn:
            for number, rows in enumerate(batches):
                if number % 2 == 0:
                    everything.append(_copy(conn, rows, TABLES))
                else:
                    _copy(conn, rows, TABLES[:2])
                    events_only.append(_copy(conn, rows, ("events",)))
                    _copy(conn, rows, TABLES[3:])
    finally:
        with psycopg.connect(common.admin_dsn(), autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {FLOOR_DB} WITH (FORCE)")
    return FloorResult(
        all_ms=statistics.median(everything) * 1000,
        events_ms=statistics.median(events_only) * 1000,
        rows_per_batch={table: data.count(b"\n") for table, (_columns, data) in batches[0].items()},
        batches=len(batches),
    )
