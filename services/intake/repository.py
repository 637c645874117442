# SPDX-License-Identifier: EUPL-1.2
"""All SQL of the intake service: youths, events, the outbox row; the projection upserts are in
`repository_projection` and the pipelined writes of a request (Postgres) in `repository_pipeline` (split off
by size). The statements here are the sequential way: SQLite, requests with a retraction, and a pipeline that
lost a race with a concurrent request.

On Postgres, lists travel as one array or JSON parameter each: a statement with thousands of bind parameters
costs more in psycopg's query splitting and Postgres's parsing than the work it does (bench/intake.py).
SQLite, the embedded default, has neither `unnest` nor arrays: it keeps portable statements, chosen by dialect.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import delete, insert, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from services.core.models import (
    AbsenceWeek,
    EnrolmentEnd,
    EnrolmentPeriod,
    Episode,
    Event,
    EventBatch,
    Fact,
    Registration,
    Retraction,
    Youth,
    YouthProfile,
)
from services.intake.projection import StoredEvent
from services.intake.repository_projection import as_json, table_of

# Youth-keyed projection tables, in the order a rebuild clears them.
PROJECTION_TABLES = tuple(
    table_of(m) for m in (YouthProfile, Registration, EnrolmentPeriod, EnrolmentEnd, AbsenceWeek, Episode, Fact)
)
CHUNK = 500
# A stored event: its seq, and whether a retraction stored earlier already names it.
Stored = dict[tuple[str, str], tuple[int, bool]]


def _postgres(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def _chunks(items: list[Any], size: int = CHUNK) -> Iterator[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _by_source(pairs: Iterable[tuple[str, str]]) -> dict[str, list[str]]:
    # Grouped per source, `source = :s AND id IN (...)` probes the unique (source, id) index; a row-value IN
    # over pairs is planned by Postgres as a filter over every event of the source.
    grouped: dict[str, list[str]] = {}
    for source, event_id in pairs:
        grouped.setdefault(source, []).append(event_id)
    return grouped


# One index probe per element (the LATERAL ... LIMIT 1 keeps the planner from hashing or scanning the whole
# table, which it did for `= ANY(array)` while the statistics still described a small table). Pseudonyms travel
# as hex text: psycopg adapts a list of str far faster than a list of bytes.
_FIND_YOUTHS = text(
    """
    SELECT p.hex, y.id FROM unnest(CAST(:pseudonyms AS text[])) AS p(hex)
    CROSS JOIN LATERAL (SELECT id FROM youths WHERE youths.pseudonym = decode(p.hex, 'hex') LIMIT 1) AS y
    """
)


def find_youths(session: Session, pseudonyms: Iterable[bytes]) -> dict[bytes, uuid.UUID]:
    wanted = list(pseudonyms)
    if not wanted:
        return {}
    if _postgres(session):
        params = {"pseudonyms": [p.hex() for p in wanted]}
        return {bytes.fromhex(hex_): youth_id for hex_, youth_id in session.execute(_FIND_YOUTHS, params)}
    found: dict[bytes, uuid.UUID] = {}
    for part in _chunks(wanted):
        for pseudonym, youth_id in session.execute(select(Youth.pseudonym, Youth.id).where(Youth.pseudonym.in_(part))):
            found[pseudonym] = youth_id
    return found


# The random ids are drawn by Postgres (gen_random_uuid, version 4 like uuid.uuid4): none to build and send.
_INSERT_YOUTHS = text(
    """
    INSERT INTO youths (id, pseudonym, identifier_kind, identifier_ciphertext, created_at)
    SELECT gen_random_uuid(), decode(y.pseudonym, 'hex'), y.identifier_kind, decode(y.identifier_ciphertext, 'hex'),
           y.created_at
    FROM json_to_recordset(CAST(:rows AS json))
         AS y(pseudonym text, identifier_kind text, identifier_ciphertext text, created_at timestamptz)
    ON CONFLICT (pseudonym) DO NOTHING
    RETURNING encode(pseudonym, 'hex'), id
    """
)


def insert_youths(session: Session, rows: list[dict[str, Any]]) -> dict[bytes, uuid.UUID]:
    """New youths (rows without an id: a random one is drawn for each); returns the id of each youth created
    now, by pseudonym. A youth a concurrent request created first is kept and left out (see `find_youths`)."""
    if not rows:
        return {}
    if _postgres(session):
        stored = session.execute(_INSERT_YOUTHS, {"rows": as_json(rows)})
        return {bytes.fromhex(hex_): youth_id for hex_, youth_id in stored}
    drawn = [{"id": uuid.uuid4(), **row} for row in rows]
    session.execute(sqlite.insert(table_of(Youth)).on_conflict_do_nothing(index_elements=["pseudonym"]), drawn)
    found = find_youths(session, [row["pseudonym"] for row in drawn])
    return {row["pseudonym"]: row["id"] for row in drawn if found.get(row["pseudonym"]) == row["id"]}


def existing_pairs(session: Session, pairs: Iterable[tuple[str, str]]) -> set[tuple[str, str]]:
    """The (source, id) pairs among `pairs` that are stored already."""
    found: set[tuple[str, str]] = set()
    for source, ids in _by_source(pairs).items():
        for part in _chunks(ids):
            query = select(Event.event_id).where(Event.source == source, Event.event_id.in_(part))
            found.update((source, event_id) for event_id in session.scalars(query))
    return found


# Both look-ups in one round trip, each an index probe per element (see _FIND_YOUTHS); youth rows carry no source.
# The lists travel as JSON (orjson writes them in microseconds; psycopg's text arrays took milliseconds per list).
# The third part reserves event sequence numbers for the pipelined writes (repository_pipeline). The sequence
# steps by 1000 (migration 0010, ADR 0031), the most events a request holds: one nextval is a block no other
# session gets, where a nextval per event cost about a tenth of the look-up. A database whose sequence steps by
# less (made without the migrations) gets a nextval per number, as one array.
FIND_STORED = text(
    """
    SELECT i.source, i.id, NULL::uuid, NULL::bigint[]
    FROM json_to_recordset(CAST(:pairs AS json)) AS i(source text, id text)
    CROSS JOIN LATERAL (SELECT 1 FROM events e WHERE e.source = i.source AND e.event_id = i.id LIMIT 1) AS hit
    UNION ALL
    SELECT NULL, p.hex, y.id, NULL FROM json_array_elements_text(CAST(:pseudonyms AS json)) AS p(hex)
    CROSS JOIN LATERAL (SELECT id FROM youths WHERE youths.pseudonym = decode(p.hex, 'hex') LIMIT 1) AS y
    UNION ALL
    SELECT NULL, NULL, NULL, array_agg(nextval(pg_get_serial_sequence('events', 'seq')))
    FROM generate_series(1, CASE WHEN (SELECT increment_by FROM pg_sequences
                                       WHERE schemaname = current_schema() AND sequencename = 'events_seq_seq')
                                      >= :reserve THEN 1 ELSE :reserve END)
    WHERE :reserve > 0
    HAVING count(*) > 0
    """
)


Found = tuple[set[tuple[str, str]], dict[bytes, uuid.UUID], list[int]]  # pairs stored, youths, reserved seqs


def find_stored(
    session: Session, pairs: Iterable[tuple[str, str]], pseudonyms: Iterable[bytes], reserve: int = 0
) -> Found:
    """The (source, id) pairs among `pairs` stored already, the ids of the youths among `pseudonyms`, and
    `reserve` event sequence numbers drawn for the caller (Postgres only: none on SQLite)."""
    if not _postgres(session):
        return existing_pairs(session, pairs), find_youths(session, pseudonyms), []
    return found_rows(session.execute(FIND_STORED, find_stored_values(pairs, pseudonyms, reserve)).all(), reserve)


def find_stored_values(pairs: Iterable[tuple[str, str]], pseudonyms: Iterable[bytes], reserve: int) -> dict[str, Any]:
    """The parameters of FIND_STORED (also sent in a pipeline: repository_pipeline.PipelinedWrites)."""
    return {
        "pairs": as_json([{"source": source, "id": event_id} for source, event_id in pairs]),
        "pseudonyms": orjson.dumps([p.hex() for p in pseudonyms]).decode(),
        "reserve": reserve,
    }


def found_rows(rows: Iterable[Any], reserve: int) -> Found:
    """FIND_STORED's rows read as `find_stored` returns them."""
    found: set[tuple[str, str]] = set()
    youths: dict[bytes, uuid.UUID] = {}
    seqs: list[int] = []
    for source, key, youth_id, reserved in rows:
        if reserved is not None:
            # One number stands for the block it starts (see FIND_STORED).
            seqs = list(range(reserved[0], reserved[0] + reserve)) if len(reserved) == 1 else reserved
        elif source is None:
            youths[bytes.fromhex(key)] = youth_id
        else:
            found.add((source, key))
    return found, youths, seqs


# The outbox row and the events in one statement (one round trip; the batch row is written even when every
# event turns out a concurrent duplicate, as before). An event that a retraction stored earlier names is
# stored retracted. The rows travel as one JSON parameter: Postgres parses and plans one value, where a
# multi-row VALUES list carries eleven parameters per event.
_INSERT_BATCH_AND_EVENTS = text(
    """
    WITH batch AS (
        INSERT INTO event_batches (partner_id, received_at, event_count, raise_signals, evaluated_at)
        VALUES (:partner_id, :received_at, :event_count, :raise_signals, NULL)
        RETURNING id
    ), stored AS (
        INSERT INTO events (source, event_id, type, time, partner_id, youth_id, batch_id, received_at, data,
                            birth_date, retracted)
        SELECT e.source, e.event_id, e.type, e.time, :partner_id, e.youth_id, (SELECT id FROM batch),
               :received_at, e.data, e.birth_date,
               EXISTS (SELECT 1 FROM retractions r WHERE r.source = e.source AND r.retracted_id = e.event_id)
        FROM json_to_recordset(CAST(:rows AS json))
             AS e(source text, event_id text, type text, time timestamptz, youth_id uuid, data jsonb, birth_date date)
        ON CONFLICT (source, event_id) DO NOTHING
        RETURNING seq, source, event_id, retracted
    )
    SELECT batch.id, stored.seq, stored.source, stored.event_id, stored.retracted
    FROM batch LEFT JOIN stored ON true
    """
)


def insert_batch_and_events(
    session: Session,
    *,
    partner_id: uuid.UUID,
    received_at: datetime,
    raise_signals: bool,
    rows: list[dict[str, Any]],
) -> tuple[int, Stored]:
    """The outbox row of this request and its events new by (source, id), all of `partner_id` received at
    `received_at`; returns the batch id and each event stored now (duplicates are absent)."""
    if _postgres(session):
        params = {
            "partner_id": partner_id,
            "received_at": received_at,
            "event_count": len(rows),
            "raise_signals": raise_signals,
            "rows": as_json(rows),
        }
        result = session.execute(_INSERT_BATCH_AND_EVENTS, params).all()
        stored = {(source, event_id): (seq, flag) for _, seq, source, event_id, flag in result if seq is not None}
        return result[0][0], stored
    batch_id = session.execute(
        insert(EventBatch)
        .values(partner_id=partner_id, received_at=received_at, event_count=len(rows), raise_signals=raise_signals)
        .returning(EventBatch.id)
    ).scalar_one()
    full = [
        {**row, "partner_id": partner_id, "batch_id": batch_id, "received_at": received_at, "retracted": False}
        for row in rows
    ]
    stmt = (
        sqlite.insert(table_of(Event))
        .on_conflict_do_nothing(index_elements=["source", "event_id"])
        .returning(Event.seq, Event.source, Event.event_id)
    )
    seqs = {(source, event_id): seq for seq, source, event_id in session.execute(stmt, full).all()}
    flagged = {seq for seq, _ in mark_retracted(session, _named(session, seqs))}
    return batch_id, {key: (seq, seq in flagged) for key, seq in seqs.items()}


def _named(session: Session, pairs: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    """The pairs among `pairs` that a stored retraction names."""
    named: list[tuple[str, str]] = []
    for source, ids in _by_source(pairs).items():
        for part in _chunks(ids):
            query = select(Retraction.retracted_id).where(
                Retraction.source == source, Retraction.retracted_id.in_(part)
            )
            named.extend((source, retracted_id) for retracted_id in session.scalars(query))
    return named


def insert_retractions(session: Session, rows: list[dict[str, Any]]) -> None:
    if rows:
        stmt = (postgresql.insert if _postgres(session) else sqlite.insert)(table_of(Retraction))
        session.execute(stmt.on_conflict_do_nothing(index_elements=["source", "retracted_id"]), rows)


def mark_retracted(session: Session, pairs: Iterable[tuple[str, str]]) -> list[tuple[int, uuid.UUID]]:
    """Flag the stored events among `pairs` (source, id), which retractions name; returns (seq, youth) flagged now."""
    flagged: list[tuple[int, uuid.UUID]] = []
    for source, ids in _by_source(pairs).items():
        for part in _chunks(ids):
            result = session.execute(
                update(Event)
                .where(Event.source == source, Event.event_id.in_(part), Event.retracted.is_(False))
                .values(retracted=True)
                .returning(Event.seq, Event.youth_id)
            )
            flagged.extend((seq, youth_id) for seq, youth_id in result)
    return flagged


def delete_projection(session: Session, youth_ids: Iterable[uuid.UUID] | None = None) -> None:
    """Clear the state of these youths (or of everyone) before it is replayed from the event store."""
    ids = None if youth_ids is None else list(youth_ids)
    for table in PROJECTION_TABLES:
        if ids is None:
            session.execute(delete(table))
        else:
            for part in _chunks(ids):
                session.execute(delete(table).where(table.c.youth_id.in_(part)))


def _stored(row: Any) -> StoredEvent:
    return StoredEvent(
        seq=row.seq,
        youth_id=row.youth_id,
        partner_id=row.partner_id,
        source=row.source,
        event_id=row.event_id,
        type=row.type,
        time=row.time,
        birth_date=row.birth_date,
        data=row.data,
    )


_EVENT_COLUMNS = (
    Event.seq,
    Event.youth_id,
    Event.partner_id,
    Event.source,
    Event.event_id,
    Event.type,
    Event.time,
    Event.birth_date,
    Event.data,
)


def load_projectable_events(session: Session, youth_ids: Iterable[uuid.UUID]) -> list[StoredEvent]:
    events: list[StoredEvent] = []
    for part in _chunks(list(youth_ids)):
        query = select(*_EVENT_COLUMNS).where(Event.youth_id.in_(part), Event.retracted.is_(False))
        events.extend(_stored(row) for row in session.execute(query))
    return events


def iter_all_projectable_events(session: Session, after_seq: int, limit: int) -> list[StoredEvent]:
    query = (
        select(*_EVENT_COLUMNS)
        .where(Event.seq > after_seq, Event.retracted.is_(False))
        .order_by(Event.seq)
        .limit(limit)
    )
    return [_stored(row) for row in session.execute(query)]
