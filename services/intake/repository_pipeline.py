# SPDX-License-Identifier: EUPL-1.2
"""The writes of a request in one psycopg pipeline (Postgres; part of the intake repository, split off by size),
and a small request's key and look-up in another (services/intake/lookahead.py).

Sequentially, each write waits for Postgres before Python builds the next one's rows, and Postgres waits for
Python in between: on a batch of 1000 events, Python's share (the event rows, the projection, their JSON) was
about a tenth of the request. In a pipeline each statement is sent as soon as its rows are built and runs
while Python builds the next; the results are read once, at the end.

So that no statement depends on the result of another, the caller draws the new youths' ids (version 4, as
`gen_random_uuid`) and reserves the events' sequence numbers up front (`repository.find_stored`), and the
youths and events are plain INSERTs: a youth or an event that a concurrent request stored first, or an event
that a stored retraction names (the events statement then fails, by `intake_lost_race`), raises `LostRace`
after everything written here is rolled back; the caller then takes the sequential way, whose ON CONFLICT
clauses handle exactly those cases.

A small request's look-up and writes are its only statements (services/intake/lookahead.py), and each takes
one round trip (ADR 0038): the look-up runs outside a transaction (it only reads, and draws sequence numbers,
which no transaction holds back), and the writes are a transaction of their own, BEGIN to COMMIT in their
pipeline. Where a transaction is open already (the caller read or wrote something first), the writes join it
behind a savepoint, and the caller's commit ends it.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Iterator, Sequence
from contextlib import contextmanager, nullcontext
from datetime import datetime
from typing import Any, cast

import psycopg
from psycopg.pq import ConnStatus, TransactionStatus
from sqlalchemy import text
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError, StatementError
from sqlalchemy.orm import Session

from services.core import repository as core_repository
from services.core.greenlet_psycopg import PipelineConnection, PipelineCursor, pipeline_connection
from services.intake import repository
from services.intake.projection import ProjectionRows
from services.intake.repository_projection import as_json, projection_writes, statement_of

SAVEPOINT = "intake_pipeline"
LOST_RACE = "GL001"  # raised by intake_lost_race() (migration 0011) when a stored retraction names an event

# ids drawn by the caller; no ON CONFLICT (see the module docstring).
_INSERT_YOUTHS = text(
    """
    INSERT INTO youths (id, pseudonym, identifier_kind, identifier_ciphertext, created_at)
    SELECT y.id, decode(y.pseudonym, 'hex'), y.identifier_kind, decode(y.identifier_ciphertext, 'hex'), y.created_at
    FROM json_to_recordset(CAST(:rows AS json))
         AS y(id uuid, pseudonym text, identifier_kind text, identifier_ciphertext text, created_at timestamptz)
    """
)

# The events insert of a request, as a CTE `stored`; `{batch_id}`: the SQL naming the request's outbox row. An
# event that a stored retraction names is flagged, and `intake_lost_race` then fails the statement (and sends the
# request the sequential way) before a COMMIT behind it in the pipeline can run. The two statements below fill
# it in from constants only (hence the noqa: nothing from a request reaches the text).
_STORED_EVENTS = """
    stored AS (
        INSERT INTO events (seq, source, event_id, type, time, partner_id, youth_id, batch_id, received_at, data,
                            birth_date, retracted)
        SELECT e.seq, e.source, e.event_id, e.type, e.time, :partner_id, e.youth_id, {batch_id}, :received_at,
               e.data, e.birth_date,
               EXISTS (SELECT 1 FROM retractions r WHERE r.source = e.source AND r.retracted_id = e.event_id)
        FROM json_to_recordset(CAST(:rows AS json)) AS e(seq bigint, source text, event_id text, type text,
                                                       time timestamptz, youth_id uuid, data jsonb, birth_date date)
        RETURNING retracted
    )
"""

# As repository._INSERT_BATCH_AND_EVENTS, with the reserved sequence numbers and without ON CONFLICT.
_INSERT_BATCH_AND_EVENTS = text(
    """
    WITH batch AS (
        INSERT INTO event_batches (partner_id, received_at, event_count, raise_signals, evaluated_at)
        VALUES (:partner_id, :received_at, :event_count, :raise_signals, NULL)
        RETURNING id
    ),"""  # noqa: S608
    + _STORED_EVENTS.format(batch_id="(SELECT id FROM batch)")
    + "SELECT (SELECT id FROM batch), intake_lost_race(count(*) FILTER (WHERE retracted)) FROM stored"
)

# The events of a request's later chunks (services/intake/streamed.py): the outbox row is the one the request's
# first events statement inserted, this session's last value of its sequence.
_INSERT_MORE_EVENTS = text(
    "WITH"  # noqa: S608
    + _STORED_EVENTS.format(batch_id="(SELECT currval(pg_get_serial_sequence('event_batches', 'id')))")
    + "SELECT NULL::bigint, intake_lost_race(count(*) FILTER (WHERE retracted)) FROM stored"
)


# Statements compiled once per kind of dialect (what SQLAlchemy's own cache does for session.execute): the
# blocking and the event loop's psycopg dialects compile alike today, but nothing promises that.
_COMPILED: dict[tuple[Any, type[Dialect]], Any] = {}


# Pipeline mode needs libpq 14 or later (psycopg[binary] ships one; a system libpq may be older).
_LIBPQ_PIPELINES = psycopg.Pipeline.is_supported()


def supported(session: Session) -> bool:
    return _LIBPQ_PIPELINES and session.get_bind().dialect.name == "postgresql"


def _send_compiled(
    connection: PipelineConnection, dialect: Dialect, statement: Any, values: dict[str, Any]
) -> PipelineCursor:
    """`statement` (SQLAlchemy, compiled once) sent now on the pipeline's connection; its cursor is read after the
    pipeline."""
    key = (statement, type(dialect))
    compiled = _COMPILED.get(key)
    if compiled is None:
        compiled = _COMPILED[key] = statement.compile(dialect=dialect)
    cursor = connection.cursor()
    cursor.execute(str(compiled), compiled.construct_params(values))
    return cursor


class LostRace(Exception):
    """A concurrent request stored one of the youths or events first, or a stored retraction names one of the
    events: nothing of the pipeline was kept (rolled back, to its savepoint or entirely)."""


class PipelinedWrites:
    """Statements sent without waiting; `batch_id` is known once the pipeline is over."""

    def __init__(self, session: Session, connection: PipelineConnection) -> None:
        self._dialect = session.get_bind().dialect
        self._connection = connection
        self._events: list[PipelineCursor] = []
        self.batch_id: int | None = None

    def _send(self, statement: Any, values: dict[str, Any]) -> PipelineCursor:
        return _send_compiled(self._connection, self._dialect, statement, values)

    def insert_youths(self, rows: Sequence[dict[str, Any]]) -> None:
        """New youths, each with its id (`rows`: id, pseudonym, identifier_kind, identifier_ciphertext,
        created_at)."""
        if rows:
            self._send(_INSERT_YOUTHS, {"rows": as_json(rows)})

    def insert_batch_and_events(
        self,
        *,
        partner_id: uuid.UUID,
        received_at: datetime,
        raise_signals: bool,
        rows: Sequence[dict[str, Any]],
        event_count: int | None = None,
    ) -> None:
        """The outbox row and the events (`rows`: seq, source, event_id, type, time, youth_id, data, birth_date);
        `event_count`: the request's events when more follow (`insert_more_events`)."""
        values = {
            "partner_id": partner_id,
            "received_at": received_at,
            "event_count": len(rows) if event_count is None else event_count,
            "raise_signals": raise_signals,
            "rows": as_json(rows),
        }
        self._events.append(self._send(_INSERT_BATCH_AND_EVENTS, values))

    @property
    def sent_events(self) -> bool:
        return bool(self._events)

    def insert_more_events(
        self, *, partner_id: uuid.UUID, received_at: datetime, rows: Sequence[dict[str, Any]]
    ) -> None:
        """More events of the outbox row `insert_batch_and_events` inserted (`rows` as there)."""
        assert self._events, "insert_batch_and_events comes first"
        values = {"partner_id": partner_id, "received_at": received_at, "rows": as_json(rows)}
        self._events.append(self._send(_INSERT_MORE_EVENTS, values))

    def find_stored(self, pairs: Collection[tuple[str, str]], pseudonyms: Collection[bytes], reserve: int) -> Lookup:
        """`repository.find_stored`, sent now and read by `Lookup.answer` (when needed: meanwhile Postgres looks
        up while Python goes on)."""
        values = repository.find_stored_values(pairs, pseudonyms, reserve)
        return Lookup(self._send(repository.FIND_STORED, values), reserve)

    def apply_projection(
        self, rows: ProjectionRows, local_ids: Sequence[dict[str, Any]], created: Collection[uuid.UUID]
    ) -> None:
        """As `repository_projection.apply_projection`, in the pipeline."""
        for names, values in projection_writes(rows, local_ids, created):
            self._send(statement_of(names), values)

    def finish(self) -> None:
        """Read the results (after the pipeline): the outbox row's id."""
        for cursor in self._events:
            row = cursor.fetchone()
            assert row is not None
            self.batch_id = self.batch_id or row[0]


class Lookup:
    """A `find_stored` sent in the pipeline; `answer` waits for it (only as long as Postgres still needs)."""

    def __init__(self, cursor: PipelineCursor, reserve: int) -> None:
        self._cursor = cursor
        self._reserve = reserve
        self._found: repository.Found | None = None

    def answer(self) -> repository.Found:
        if self._found is None:
            self._found = repository.found_rows(self._cursor.fetchall(), self._reserve)
        return self._found


def _driver_connection(session: Session) -> PipelineConnection:
    """The psycopg connection under the session's (its transaction begun by SQLAlchemy); under a session of the
    event loop's engine, run by `AsyncSession.run_sync`, its asynchronous connection behind a blocking face."""
    return pipeline_connection(session.connection().connection.dbapi_connection)


def key_and_stored(
    session: Session, key_hash: str, pairs: Collection[tuple[str, str]], pseudonyms: Collection[bytes], reserve: int
) -> tuple[core_repository.AuthKey | None, repository.Found]:
    """The caller's key (core_repository.find_key_for_auth) and `repository.find_stored`, in one pipeline: both
    queries in one round trip, where one after the other took two. A session that has sent nothing yet sends
    them outside a transaction: in one, psycopg's BEGIN would take a round trip of its own."""
    connection = _driver_connection(session)
    dialect = session.get_bind().dialect
    try:
        outside = _outside_a_transaction(connection) if _idle(connection) else nullcontext()
        with outside, connection.pipeline():
            key = _send_compiled(connection, dialect, core_repository.KEY_FOR_AUTH, {"key_hash": key_hash})
            stored = _send_compiled(
                connection, dialect, repository.FIND_STORED, repository.find_stored_values(pairs, pseudonyms, reserve)
            )
        return core_repository.auth_key_of(key.fetchone()), repository.found_rows(stored.fetchall(), reserve)
    except psycopg.Error as exc:
        raise _translated(session, exc) from exc


def _idle(connection: PipelineConnection) -> bool:
    """No transaction open on the connection (none begun yet, or the last one ended)."""
    return connection.info.transaction_status == TransactionStatus.IDLE


@contextmanager
def _outside_a_transaction(connection: PipelineConnection) -> Iterator[None]:
    """The block's statements in autocommit mode: each sync of a pipeline commits what it ran, and an explicit
    BEGIN opens a transaction of the block's own. After the block the connection is as SQLAlchemy left it, with
    any transaction the block left open rolled back. Should that fail (or be cancelled), the pool's checkout
    replaces the connection (services/core/db.py): it is never handed on in autocommit mode."""
    connection.set_autocommit(True)
    try:
        yield
    finally:
        if connection.info.status == ConnStatus.OK:  # a lost one is invalidated where its error is translated
            if not _idle(connection):
                connection.execute("ROLLBACK")
            connection.set_autocommit(False)


@contextmanager
def pipelined_writes(session: Session, *, commit: bool = False) -> Iterator[PipelinedWrites]:
    """The writes sent in the block, in one pipeline; `LostRace` when a concurrent request or a stored retraction
    got in the way (everything written here is then rolled back).

    `commit`: the caller has nothing to write after these (a small request, services/intake/lookahead.py). If
    no transaction is open then (only its look-up came first, outside a transaction), the writes are a
    transaction of their own, begun and committed in the pipeline: the caller's commit has nothing left to send.
    Otherwise the writes join the open transaction within a savepoint, which is not released: the transaction's
    COMMIT ends it too, and a RELEASE would cost a round trip of its own.
    """
    connection = _driver_connection(session)
    writes = PipelinedWrites(session, connection)
    own = commit and _idle(connection)
    try:
        with _outside_a_transaction(connection) if own else nullcontext():
            try:
                with connection.pipeline():
                    connection.execute("BEGIN" if own else f"SAVEPOINT {SAVEPOINT}")
                    yield writes
                    if own:
                        connection.execute("COMMIT")
                writes.finish()
            except (psycopg.Error, LostRace) as exc:
                if not _lost_race(exc):
                    raise
                if not own:  # a transaction of the writes' own is rolled back as the block above ends
                    connection.execute(f"ROLLBACK TO SAVEPOINT {SAVEPOINT}")
                raise LostRace from exc
    except psycopg.Error as exc:
        raise _translated(session, exc) from exc


def _lost_race(exc: Exception) -> bool:
    """Whether the pipeline failed for a reason the sequential way handles."""
    return isinstance(
        exc,
        (
            psycopg.errors.UniqueViolation,  # a youth or an event stored first by a concurrent request
            psycopg.errors.DeadlockDetected,  # two requests creating the same youths in another order
            LostRace,  # raised by the caller's block
        ),
    ) or (isinstance(exc, psycopg.Error) and exc.sqlstate == LOST_RACE)  # a stored retraction names an event


def _translated(session: Session, exc: psycopg.Error) -> StatementError:
    """A psycopg error raised past SQLAlchemy, as SQLAlchemy's own execute would raise it: a lost connection is
    invalidated (the pool replaces it) and answered 503 like any other (services.core.problems)."""
    dialect = session.get_bind().dialect
    connection = session.connection()
    lost = dialect.is_disconnect(cast(Any, exc), connection.connection.dbapi_connection, None)
    if lost:
        connection.invalidate(exc)
    return DBAPIError.instance(None, None, exc, psycopg.Error, connection_invalidated=lost, dialect=dialect)
