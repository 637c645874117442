# SPDX-License-Identifier: EUPL-1.2
"""A large batch on Postgres: validated in chunks, each valid chunk's events sent while the next is validated.

Measured on a batch of 1000 events about known youths (the steady state, `python -m bench.intake`), the
request was a relay: Python validated for about 22 ms, built the rows, then waited about 55 ms while Postgres
inserted the events and the state. Here the duplicate and youth look-up goes to Postgres first (it needs only
the raw events' source, id and BSN or onderwijsnummer, pseudonymised), and every chunk's events follow as soon
as the chunk is valid and the look-up answered: Postgres inserts while Python validates the rest.

All or nothing still holds: the writes are part of the request's transaction, and a request with any invalid
event raises the 400 of `validate_events` (every problem of every event), which rolls it all back. What the
sequential way handles (an event stored before, as in a retried request; a concurrent request storing the same
event or youth first; an event a stored retraction names) rolls back to the pipeline's savepoint and takes
`service.accept_events` as before; a batch holding a retraction goes there directly.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.orm import Session

from services.core.clock import utcnow
from services.core.dispatch import enqueue_after_commit
from services.core.identity import IdentifierKind, pseudonymise
from services.intake import repository, repository_pipeline, service
from services.intake.envelope import PREFIX, RawEvents, ValidEvent, valid_range, validate_events
from services.intake.projection import StoredEvent, project

# From this many events on (below, the validation is too short to hide the writes behind).
STREAMED_MIN_EVENTS = 50
CHUNKS = 4  # a batch of 1000 events: the first 250 are written while the other 750 are validated
MIN_CHUNK_EVENTS = 25
IDENTIFIERS: tuple[IdentifierKind, ...] = ("bsn", "onderwijsnummer")  # the BSN first, as service.identifier_of
_RETRACTION = PREFIX + service.RETRACTION


def accept_posted(session: Session, partner_id: uuid.UUID, raw: RawEvents) -> service.AcceptResult:
    """Validate the posted events (400 listing every problem) and store them."""
    if len(raw.events) < STREAMED_MIN_EVENTS or not repository_pipeline.supported(session) or _retracts(raw):
        return service.accept_events(session, partner_id, validate_events(raw))
    try:
        return _accept_streamed(session, partner_id, raw)
    except repository_pipeline.LostRace:
        # Rolled back to the savepoint: a concurrent request or a stored retraction got in the way.
        return service.accept_events(session, partner_id, validate_events(raw))


def _retracts(raw: RawEvents) -> bool:
    return any(isinstance(event, dict) and event.get("type") == _RETRACTION for event in raw.events)


def _distinct_pairs(events: list[Any]) -> int:
    """The (source, id) pairs among the raw events: the events a valid request stores when none was stored."""
    return len(
        {
            (event["source"], event["id"])
            for event in events
            if isinstance(event, dict) and isinstance(event.get("source"), str) and isinstance(event.get("id"), str)
        }
    )


def _identifiers(events: list[Any]) -> set[tuple[IdentifierKind, str]]:
    """(kind, value) of each event's person as posted: validation refuses any other shape."""
    found: set[tuple[IdentifierKind, str]] = set()
    for event in events:
        data = event.get("data") if isinstance(event, dict) else None
        person = data.get("person") if isinstance(data, dict) else None
        if isinstance(person, dict):
            for kind in IDENTIFIERS:
                value = person.get(kind)
                if isinstance(value, str) and len(value) == 9 and value.isascii() and value.isdigit():
                    found.add((kind, value))
                    break
    return found


class _Chunks:
    """The request's events stored so far, chunk by chunk."""

    def __init__(
        self, partner_id: uuid.UUID, found: repository.Found, pseudonyms: dict[tuple[IdentifierKind, str], bytes]
    ) -> None:
        self.partner_id = partner_id
        self.now = utcnow()
        _, self.ids, seqs = found  # no pairs looked up: any stored one fails the insert (see _accept_streamed)
        self.seqs = iter(seqs)
        self.pseudonyms = pseudonyms
        self.seen: set[tuple[str, str]] = set()
        self.stored: dict[int, tuple[ValidEvent, StoredEvent]] = {}  # raw index -> (event, as stored)
        self.created: set[uuid.UUID] = set()

    def add(self, events: list[ValidEvent]) -> tuple[list[dict[str, Any]], list[StoredEvent]]:
        """The new youths and the events among `events` (a pair seen earlier in the request is a duplicate).
        LostRace when an event's identity was not looked up (never: validation accepts only the identifiers
        `_identifiers` reads)."""
        youths: list[dict[str, Any]] = []
        stored: list[StoredEvent] = []
        for event in events:
            key = (event.source, event.id)
            if key in self.seen:
                continue  # twice in the request: the first one counts
            self.seen.add(key)
            identifier = service.identifier_of(event)
            pseudonym = self.pseudonyms.get(identifier)
            if pseudonym is None:
                raise repository_pipeline.LostRace  # not looked up: the sequential way decides
            if pseudonym not in self.ids:
                youths.append(service.new_youth(self.ids, pseudonym, identifier, self.now))
                self.created.add(self.ids[pseudonym])
            stored_event = service.stored_event(event, next(self.seqs), self.ids[pseudonym], self.partner_id)
            self.stored[event.index] = (event, stored_event)
            stored.append(stored_event)
        return youths, stored


def _accept_streamed(session: Session, partner_id: uuid.UUID, raw: RawEvents) -> service.AcceptResult:
    events = _distinct_pairs(raw.events)
    pseudonyms = {(kind, value): pseudonymise(kind, value) for kind, value in _identifiers(raw.events)}
    total = len(raw.events)
    size = max(MIN_CHUNK_EVENTS, -(-total // CHUNKS))
    chunks: _Chunks | None = None
    with repository_pipeline.pipelined_writes(session) as writes:
        # The youths only: looking up 1000 pairs as well took about 8 of the look-up's 14 ms, on the critical path
        # of Postgres. A pair stored before makes the events insert fail (its unique key), and the request
        # then goes the sequential way, which answers it a duplicate: a retried request, in practice.
        lookup = writes.find_stored((), pseudonyms.values(), reserve=events)
        for start in range(0, total, size):
            valid = valid_range(raw, start, start + size)
            if valid is None:
                validate_events(raw)  # raises the 400 naming every problem; the transaction is rolled back
                raise repository_pipeline.LostRace  # valid as `json` reads it (envelope.RawEvents): as before
            if chunks is None:
                chunks = _Chunks(partner_id, lookup.answer(), pseudonyms)
            youths, stored = chunks.add(valid)
            writes.insert_youths(youths)
            if stored:
                _send_events(writes, chunks, stored, events)
        assert chunks is not None  # at least one chunk, and every chunk stores its first-seen pairs
        writes.apply_projection(
            project(stored for _, stored in chunks.stored.values()),
            service.local_ids(chunks.stored.values()),
            chunks.created,
        )
    enqueue_after_commit(session, service.EVALUATE_BATCH_TASK, writes.batch_id)
    return service.AcceptResult(
        [
            service.EventResult(index, event["id"], "accepted" if index in chunks.stored else "duplicate")
            for index, event in enumerate(raw.events)
        ],
        writes.batch_id,
    )


def _send_events(
    writes: repository_pipeline.PipelinedWrites, chunks: _Chunks, stored: list[StoredEvent], event_count: int
) -> None:
    rows = [service.event_row(event) for event in stored]
    if writes.sent_events:
        writes.insert_more_events(partner_id=chunks.partner_id, received_at=chunks.now, rows=rows)
        return
    # The outbox row counts every event the request stores: `event_count`, one per pair (all valid and new, or
    # the request does not go this way).
    writes.insert_batch_and_events(
        partner_id=chunks.partner_id, received_at=chunks.now, raise_signals=True, rows=rows, event_count=event_count
    )
