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
which no transaction holds back), and the writes are committed on their own. They are gathered and sent as one
statement, every write a CTE of it, which Postgres commits as a whole in autocommit mode (ADR 0039); where they
need two (an episode's start and end in one request), BEGIN to COMMIT in one pipeline. Where a transaction is
open already (the caller read or wrote something first), the writes join it behind a savepoint, and the
caller's commit ends it.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Iterator, Sequence
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any, cast

import psycopg
from psycopg.pq import ConnStatus, TransactionStatus
from sqlalchemy import Text, bindparam, exists, func, insert, literal_column, null, select
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError, StatementError
from sqlalchemy.orm import Session

from services.core import repository as core_repository
from services.core.greenlet_psycopg import PipelineConnection, PipelineCursor, pipeline_connection
from services.core.models import Event, EventBatch, Retraction, Youth
from services.intake import repository
from services.intake.projection import ProjectionRows
from services.intake.repository_projection import (
    as_json,
    ctes_of,
    projection_writes,
    recordset,
    statement_of,
    table_of,
)

SAVEPOINT = "intake_pipeline"
LOST_RACE = "GL001"  # raised by intake_lost_race() (migration 0011) when a stored retraction names an event

_YOUTHS = table_of(Youth)
_BATCHES = table_of(EventBatch)
_EVENTS = table_of(Event)
_RETRACTIONS = table_of(Retraction)
_HEX = literal_column("'hex'", Text())
_YOUTH_COLUMNS = ("id", "pseudonym", "identifier_kind", "identifier_ciphertext", "created_at")
_BYTES = ("pseudonym", "identifier_ciphertext")
_EVENT_COLUMNS = ("seq", "source", "event_id", "type", "time", "youth_id", "data", "birth_date")


def _youths_insert() -> Any:
    """New youths, their ids drawn by the caller; no ON CONFLICT (see the module docstring). As
    repository._INSERT_YOUTHS, which the sequential way keeps. The bytes travel as hex, decoded here."""
    y = recordset(_YOUTHS, _YOUTH_COLUMNS, "youth_rows", "y", as_text=_BYTES)
    return insert(_YOUTHS).from_select(
        list(_YOUTH_COLUMNS),
        select(*(func.decode(y.c[c], _HEX) if c in _BYTES else y.c[c] for c in _YOUTH_COLUMNS)),
    )


def _batch() -> Any:
    """The request's outbox row, as a CTE `batch` returning its id."""
    return (
        insert(_BATCHES)
        .values(
            partner_id=bindparam("partner_id"),
            received_at=bindparam("received_at"),
            event_count=bindparam("event_count"),
            raise_signals=bindparam("raise_signals"),
            evaluated_at=null(),
        )
        .returning(_BATCHES.c.id)
        .cte("batch")
    )


def _stored(batch_id: Any) -> Any:
    """The events, with the reserved sequence numbers and without ON CONFLICT, as a CTE `stored`; `batch_id`:
    the SQL naming the request's outbox row. As repository._INSERT_BATCH_AND_EVENTS, which the sequential way
    keeps. An event that a stored retraction names is flagged, and `intake_lost_race` then fails the statement
    (and sends the request the sequential way) before it commits, or before a COMMIT behind it in the pipeline
    can run."""
    e = recordset(_EVENTS, _EVENT_COLUMNS, "event_rows", "e")
    named = exists().where(_RETRACTIONS.c.source == e.c.source, _RETRACTIONS.c.retracted_id == e.c.event_id)
    values = select(
        e.c.seq,
        e.c.source,
        e.c.event_id,
        e.c.type,
        e.c.time,
        bindparam("partner_id", type_=_EVENTS.c.partner_id.type),
        e.c.youth_id,
        batch_id,
        bindparam("received_at", type_=_EVENTS.c.received_at.type),
        e.c.data,
        e.c.birth_date,
        named,
    )
    columns = [*_EVENT_COLUMNS[:5], "partner_id", "youth_id", "batch_id", "received_at", "data", "birth_date"]
    return insert(_EVENTS).from_select([*columns, "retracted"], values).returning(_EVENTS.c.retracted).cte("stored")


def _fails_if_retracted(stored: Any) -> Any:
    """`intake_lost_race` (migration 0011) of the stored events that a stored retraction names."""
    return func.intake_lost_race(func.count().filter(stored.c.retracted))


def _batch_and_events(*ctes: Any) -> Any:
    """The outbox row and the events, and any other writes as `ctes`: the outbox row's id and nothing more."""
    batch = _batch()
    stored = _stored(select(batch.c.id).scalar_subquery())
    return select(select(batch.c.id).scalar_subquery(), _fails_if_retracted(stored)).select_from(stored).add_cte(*ctes)


_INSERT_YOUTHS = _youths_insert()
_INSERT_BATCH_AND_EVENTS = _batch_and_events()

# The events of a request's later chunks (services/intake/streamed.py): the outbox row is the one the request's
# first events statement inserted, this session's last value of its sequence.
# As a subquery, which Postgres evaluates once: in the select list, once per event (a catalogue look-up each).
_MORE_STORED = _stored(
    select(
        func.currval(func.pg_get_serial_sequence(literal_column("'event_batches'"), literal_column("'id'")))
    ).scalar_subquery()
)
_INSERT_MORE_EVENTS = select(null(), _fails_if_retracted(_MORE_STORED)).select_from(_MORE_STORED)


@cache  # built once per combination, so that `_send_compiled` compiles it once too
def _one_statement(youths: bool, names: tuple[str, ...]) -> Any:
    """A small request's writes in one statement (`PipelinedWrites.send_gathered`), by whether it creates youths
    and its state's writes (repository_projection.ctes_of)."""
    new_youths = [_INSERT_YOUTHS.cte("new_youths")] if youths else []
    return _batch_and_events(*new_youths, *ctes_of(names))


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


@dataclass
class _Gathered:
    """A small request's writes kept for `PipelinedWrites.send_gathered`: each statement's parameters, built
    once (None: not given)."""

    youths: dict[str, str] | None = None
    events: dict[str, Any] | None = None
    state: list[tuple[tuple[str, ...], dict[str, str]]] | None = None


class PipelinedWrites:
    """Statements sent without waiting; `batch_id` is known once they are answered (`finish`).

    `gather`: the writes are kept until `send_gathered` (a small request committing them on their own), which
    sends them as one statement where it can (ADR 0039)."""

    def __init__(self, session: Session, connection: PipelineConnection, *, gather: bool = False) -> None:
        self._dialect = session.get_bind().dialect
        self._connection = connection
        self._events: list[PipelineCursor] = []
        self._gathered = _Gathered() if gather else None
        self.batch_id: int | None = None

    def _send(self, statement: Any, values: dict[str, Any]) -> PipelineCursor:
        return _send_compiled(self._connection, self._dialect, statement, values)

    def insert_youths(self, rows: Sequence[dict[str, Any]]) -> None:
        """New youths, each with its id (`rows`: id, pseudonym, identifier_kind, identifier_ciphertext,
        created_at)."""
        if not rows:
            return
        values = {"youth_rows": as_json(rows)}
        if self._gathered is None:
            self._send(_INSERT_YOUTHS, values)
        else:
            assert self._gathered.youths is None, "one call when gathered"
            self._gathered.youths = values

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
            "event_rows": as_json(rows),
        }
        if self._gathered is None:
            self._events.append(self._send(_INSERT_BATCH_AND_EVENTS, values))
        else:
            assert self._gathered.events is None, "one call when gathered"
            self._gathered.events = values

    @property
    def sent_events(self) -> bool:
        return bool(self._events)

    def insert_more_events(
        self, *, partner_id: uuid.UUID, received_at: datetime, rows: Sequence[dict[str, Any]]
    ) -> None:
        """More events of the outbox row `insert_batch_and_events` sent (`rows` as there)."""
        assert self._events, "insert_batch_and_events comes first, sent"
        values = {"partner_id": partner_id, "received_at": received_at, "event_rows": as_json(rows)}
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
        statements = projection_writes(rows, local_ids, created)
        if self._gathered is None:
            for names, values in statements:
                self._send(statement_of(names), values)
        else:
            assert self._gathered.state is None, "one call when gathered"
            self._gathered.state = statements

    def send_gathered(self) -> None:
        """The gathered writes, committed: as one statement, which Postgres commits as a whole in autocommit mode
        (ADR 0039), or, where the state takes two statements (an episode's start and end in one request), BEGIN
        to COMMIT in one pipeline."""
        gathered = self._gathered
        assert gathered is not None and gathered.events is not None, "gathered writes with their events"
        youths, state = gathered.youths or {}, gathered.state or []
        if len(state) <= 1:
            names, values = state[0] if state else ((), {})
            statement = _one_statement(bool(youths), names)
            self._events.append(self._send(statement, {**youths, **gathered.events, **values}))
            return
        with self._connection.pipeline():
            self._connection.execute("BEGIN")
            if youths:
                self._send(_INSERT_YOUTHS, youths)
            self._events.append(self._send(_INSERT_BATCH_AND_EVENTS, gathered.events))
            for names, values in state:
                self._send(statement_of(names), values)
            self._connection.execute("COMMIT")

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
    """The block's statements in autocommit mode: each statement on its own, and each sync of a pipeline,
    commits what it ran, and an explicit BEGIN opens a transaction of the block's own. After the block the
    connection is as SQLAlchemy left it, with any transaction the block left open rolled back. Should that fail
    (or be cancelled), the pool's checkout replaces the connection (services/core/db.py): it is never handed on
    in autocommit mode."""
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
    """The writes given in the block, sent in one pipeline (or gathered, see `commit`); `LostRace` when a
    concurrent request or a stored retraction got in the way (everything written here is then rolled back).

    `commit`: the caller has nothing to write after these (a small request, services/intake/lookahead.py). If
    no transaction is open then (only its look-up came first, outside a transaction), the writes are committed
    on their own after the block: one statement, or a transaction of their own in one pipeline (ADR 0038, ADR
    0039); the caller's commit has nothing left to send. Otherwise the writes join the open transaction within a
    savepoint, which is not released: the transaction's COMMIT ends it too, and a RELEASE would cost a round
    trip of its own.
    """
    connection = _driver_connection(session)
    own = commit and _idle(connection)
    writes = PipelinedWrites(session, connection, gather=own)
    try:
        try:
            if own:
                yield writes  # gathered: nothing goes to Postgres meanwhile, nor in autocommit mode
                with _outside_a_transaction(connection):
                    writes.send_gathered()
            else:
                with connection.pipeline():
                    connection.execute(f"SAVEPOINT {SAVEPOINT}")
                    yield writes
            writes.finish()
        except (psycopg.Error, LostRace) as exc:
            if not _lost_race(exc):
                raise
            if not own:  # writes committed on their own were rolled back (or never began) as their block ended
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
