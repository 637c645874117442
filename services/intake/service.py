# SPDX-License-Identifier: EUPL-1.2
"""Accepting validated events: pseudonymise, deduplicate, store, project, queue evaluation. Never commits, unless
the caller lets the pipelined writes commit themselves (`commit_writes`, ADR 0038)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy.orm import Session

from services.core.clock import utcnow
from services.core.dispatch import SMALL_REQUEST_EVENTS, enqueue_after_commit
from services.core.identity import IdentifierKind, encrypt, pseudonymise
from services.intake import repository, repository_pipeline, repository_projection
from services.intake.envelope import ValidEvent
from services.intake.projection import StoredEvent, project

EVALUATE_BATCH_TASK = "signals.evaluate_batch"
RETRACTION = "event.retracted"


@dataclass(frozen=True)
class EventResult:
    index: int
    id: str
    status: Literal["accepted", "duplicate"]


@dataclass(frozen=True)
class AcceptResult:
    results: list[EventResult]
    batch_id: int | None

    @property
    def accepted(self) -> int:
        return sum(1 for r in self.results if r.status == "accepted")

    @property
    def duplicates(self) -> int:
        return len(self.results) - self.accepted


def identifier_of(event: ValidEvent) -> tuple[Literal["bsn", "onderwijsnummer"], str]:
    person = event.data.person
    if person.bsn is not None:
        return "bsn", person.bsn
    assert person.onderwijsnummer is not None  # guaranteed by the Person model
    return "onderwijsnummer", person.onderwijsnummer


Identified = tuple[bytes, tuple[Literal["bsn", "onderwijsnummer"], str]]  # (pseudonym, (kind, identifier))


def _identify(event: ValidEvent) -> Identified:
    kind, value = identifier_of(event)
    return pseudonymise(kind, value), (kind, value)


def resolve_youths(
    session: Session, identified: list[Identified], known: dict[bytes, uuid.UUID]
) -> tuple[list[uuid.UUID], set[uuid.UUID]]:
    """The internal youth id of each event, from `known` (pseudonym -> id) or creating youths seen for the first
    time (the only ones whose identifier is encrypted); and the ids of the youths created now."""
    known = dict(known)
    missing = {pseudonym: identifier for pseudonym, identifier in identified if pseudonym not in known}
    created: dict[bytes, uuid.UUID] = {}
    if missing:
        now = utcnow()
        created = repository.insert_youths(
            session,
            [
                {
                    "pseudonym": pseudonym,
                    "identifier_kind": kind,
                    "identifier_ciphertext": encrypt(value),
                    "created_at": now,
                }
                for pseudonym, (kind, value) in missing.items()
            ],
        )
        known.update(created)
        lost = [pseudonym for pseudonym in missing if pseudonym not in created]
        if lost:  # created by a concurrent request first
            known.update(repository.find_youths(session, lost))
    return [known[pseudonym] for pseudonym, _ in identified], set(created.values())


def _stored_data(event: ValidEvent) -> dict[str, Any]:
    # `person` never reaches the event store; postcode4 is not kept at all (no rule or report may use it).
    return event.data.model_dump(mode="json", by_alias=True, exclude={"person", "postcode4"}, exclude_none=True)


@dataclass(frozen=True)
class LookupPlan:
    """What a request looks up before it writes (`repository.find_stored`): its events' first positions by
    (source, id), each first event's youth, and how many sequence numbers to reserve for the pipelined writes."""

    first_index: dict[tuple[str, str], int]
    identified: dict[int, Identified]
    pipelined: bool

    @property
    def pseudonyms(self) -> set[bytes]:
        return {pseudonym for pseudonym, _ in self.identified.values()}

    @property
    def reserve(self) -> int:
        return len(self.first_index) if self.pipelined else 0


def lookup_plan(session: Session, events: list[ValidEvent]) -> LookupPlan:
    """What `repository.find_stored` is asked for these events (the first event of each (source, id) counts)."""
    first_index: dict[tuple[str, str], int] = {}
    for position, event in enumerate(events):
        first_index.setdefault((event.source, event.id), position)
    identified = {position: _identify(events[position]) for position in first_index.values()}
    # Retractions (rare) take the sequential way: they flag and replay what is stored already.
    pipelined = repository_pipeline.supported(session) and all(e.type != RETRACTION for e in events)
    return LookupPlan(first_index, identified, pipelined)


def accept_events(
    session: Session,
    partner_id: uuid.UUID,
    events: list[ValidEvent],
    *,
    raise_signals: bool = True,
    looked_up: tuple[LookupPlan, repository.Found] | None = None,
    commit_writes: bool = False,
) -> AcceptResult:
    """Store `events` (valid, one partner's) and their state. (A large batch posted to the API on Postgres takes
    services/intake/streamed.py instead, which shares the pieces below.) `looked_up`: the look-up of these events
    made already (services/intake/lookahead.py), with its answer. `commit_writes`: the caller writes nothing after
    this and commits right away, so pipelined writes in a session with no transaction open may commit on their
    own (repository_pipeline.pipelined_writes)."""
    if not events:
        return AcceptResult([], None)
    now = utcnow()
    # One look-up for both: the pairs stored before, and the youths that exist. A pair stored before stores
    # nothing: no youth, no outbox row, no local id. (A concurrent request storing the same pair first is still
    # caught: by the pipelined insert's unique key, then the sequential insert's ON CONFLICT.) The sequence
    # numbers reserved for the pipeline cover pairs that turn out stored too: a gap in `seq` is harmless.
    if looked_up is None:
        plan = lookup_plan(session, events)
        found = repository.find_stored(session, plan.first_index, plan.pseudonyms, reserve=plan.reserve)
    else:
        plan, found = looked_up
    first_index, identified, pipelined = plan.first_index, plan.identified, plan.pipelined
    known, youths, seqs = found
    fresh = {key: position for key, position in first_index.items() if key not in known}
    if not fresh:
        return AcceptResult([EventResult(e.index, e.id, "duplicate") for e in events], None)
    positions = list(fresh.values())
    if pipelined:
        try:
            return _accept_pipelined(
                session,
                partner_id,
                events,
                positions,
                identified,
                youths,
                seqs[: len(positions)],
                now,
                raise_signals=raise_signals,
                commit=commit_writes,
            )
        except repository_pipeline.LostRace:
            pass  # a concurrent request or a stored retraction got in the way: nothing was kept, go sequentially
    resolved, created = resolve_youths(session, [identified[p] for p in positions], youths)
    youth_ids = dict(zip(positions, resolved, strict=True))
    rows = []
    stored_data: dict[int, dict[str, Any]] = {}
    for position in positions:
        event = events[position]
        stored_data[position] = _stored_data(event)
        rows.append(
            {
                "source": event.source,
                "event_id": event.id,
                "type": event.type,
                "time": event.time,
                "youth_id": youth_ids[position],
                "data": stored_data[position],
                "birth_date": event.data.person.birth_date,
            }
        )
    batch_id, stored = repository.insert_batch_and_events(
        session, partner_id=partner_id, received_at=now, raise_signals=raise_signals, rows=rows
    )

    results = []
    new_events: list[StoredEvent] = []
    stored_at: dict[int, StoredEvent] = {}  # position -> the event stored now
    retracted: list[tuple[int, uuid.UUID]] = []  # (seq, youth) of new events a stored retraction names
    for position, event in enumerate(events):
        key = (event.source, event.id)
        is_new = key in stored and first_index[key] == position
        results.append(EventResult(event.index, event.id, "accepted" if is_new else "duplicate"))
        if is_new:
            seq, flagged = stored[key]
            if flagged:
                retracted.append((seq, youth_ids[position]))
            stored_at[position] = StoredEvent(
                seq=seq,
                youth_id=youth_ids[position],
                partner_id=partner_id,
                source=event.source,
                event_id=event.id,
                type=event.type,
                time=event.time,
                birth_date=event.data.person.birth_date,
                data=stored_data[position],
            )
            new_events.append(stored_at[position])
    if new_events:
        _project_new_events(session, new_events, retracted, events, stored_at, created)
        if raise_signals:
            small = len(new_events) <= SMALL_REQUEST_EVENTS
            enqueue_after_commit(session, EVALUATE_BATCH_TASK, batch_id, coalesce=small)
    return AcceptResult(results, batch_id)


def _accept_pipelined(
    session: Session,
    partner_id: uuid.UUID,
    events: list[ValidEvent],
    positions: list[int],
    identified: dict[int, Identified],
    youths: dict[bytes, uuid.UUID],
    seqs: list[int],
    now: datetime,
    *,
    raise_signals: bool,
    commit: bool,
) -> AcceptResult:
    """`accept_events` for the events at `positions` (new by (source, id), `seqs` reserved for them), with the
    writes in one pipeline: each statement runs while the next one's rows are built (repository_pipeline).
    Raises LostRace, with nothing kept, when a concurrent request or a stored retraction got in the way."""
    ids = dict(youths)
    new_youths = [
        new_youth(ids, *identified[position], now) for position in positions if identified[position][0] not in ids
    ]
    with repository_pipeline.pipelined_writes(session, commit=commit) as writes:
        writes.insert_youths(new_youths)
        stored_at = {
            position: stored_event(events[position], seq, ids[identified[position][0]], partner_id)
            for position, seq in zip(positions, seqs, strict=True)
        }
        writes.insert_batch_and_events(
            partner_id=partner_id,
            received_at=now,
            raise_signals=raise_signals,
            rows=[event_row(stored) for stored in stored_at.values()],
        )
        writes.apply_projection(
            project(stored_at.values()),
            local_ids((events[p], e) for p, e in stored_at.items()),
            {row["id"] for row in new_youths},
        )
    if raise_signals:
        small = len(positions) <= SMALL_REQUEST_EVENTS
        enqueue_after_commit(session, EVALUATE_BATCH_TASK, writes.batch_id, coalesce=small)
    results = [
        EventResult(e.index, e.id, "accepted" if position in stored_at else "duplicate")
        for position, e in enumerate(events)
    ]
    return AcceptResult(results, writes.batch_id)


def new_youth(
    ids: dict[bytes, uuid.UUID], pseudonym: bytes, identifier: tuple[IdentifierKind, str], now: datetime
) -> dict[str, Any]:
    """The row of a youth seen for the first time, its id drawn here and added to `ids` (pseudonym -> id)."""
    ids[pseudonym] = uuid.uuid4()  # random, as the youths Postgres creates (gen_random_uuid)
    kind, value = identifier
    return {
        "id": ids[pseudonym],
        "pseudonym": pseudonym,
        "identifier_kind": kind,
        "identifier_ciphertext": encrypt(value),
        "created_at": now,
    }


def stored_event(event: ValidEvent, seq: int, youth_id: uuid.UUID, partner_id: uuid.UUID) -> StoredEvent:
    return StoredEvent(
        seq=seq,
        youth_id=youth_id,
        partner_id=partner_id,
        source=event.source,
        event_id=event.id,
        type=event.type,
        time=event.time,
        birth_date=event.data.person.birth_date,
        data=_stored_data(event),
    )


def event_row(event: StoredEvent) -> dict[str, Any]:
    return {
        "seq": event.seq,
        "source": event.source,
        "event_id": event.event_id,
        "type": event.type,
        "time": event.time,
        "youth_id": event.youth_id,
        "data": event.data,
        "birth_date": event.birth_date,
    }


def _project_new_events(
    session: Session,
    new_events: list[StoredEvent],
    retracted: list[tuple[int, uuid.UUID]],
    events: list[ValidEvent],
    stored_at: dict[int, StoredEvent],
    created: set[uuid.UUID],
) -> None:
    """`retracted`: the new events that were stored retracted (a retraction stored earlier names them);
    `stored_at`: the events stored now by their position in `events`; `created`: the youths created now."""
    retractions = [e for e in new_events if e.type == RETRACTION]
    flagged = list(retracted)
    if retractions:
        repository.insert_retractions(
            session,
            [{"source": e.source, "retracted_id": e.data["retractedId"], "event_seq": e.seq} for e in retractions],
        )
        # Retracted now: the events this request retracts, stored before or in this request.
        flagged.extend(repository.mark_retracted(session, {(e.source, e.data["retractedId"]) for e in retractions}))
    flagged_seqs = {seq for seq, _ in flagged}
    new_seqs = {e.seq for e in new_events}
    # A youth whose already projected fact was retracted is replayed in full from the event store.
    replay = {youth for seq, youth in flagged if seq not in new_seqs}
    projectable = [
        e for e in new_events if e.type != RETRACTION and e.seq not in flagged_seqs and e.youth_id not in replay
    ]
    partner_ids = local_ids((events[p], e) for p, e in stored_at.items())
    repository_projection.apply_projection(session, project(projectable), partner_ids, created)
    if replay:
        rebuild_youths(session, replay)


def local_ids(stored: Iterable[tuple[ValidEvent, StoredEvent]]) -> list[dict[str, Any]]:
    """The newest `localId` per youth among these (event, as stored now) (one upsert may not hit a key twice)."""
    newest: dict[uuid.UUID, dict[str, Any]] = {}
    for event, stored_event in stored:
        local_id = event.data.person.local_id
        if local_id is None:
            continue
        row = {
            "partner_id": stored_event.partner_id,
            "youth_id": stored_event.youth_id,
            "local_id": local_id,
            "version": stored_event.version,
        }
        current = newest.get(stored_event.youth_id)
        if current is None or row["version"] > current["version"]:
            newest[stored_event.youth_id] = row
    return list(newest.values())


def rebuild_youths(session: Session, youth_ids: set[uuid.UUID]) -> None:
    """Replay these youths' state from their stored, unretracted events."""
    repository.delete_projection(session, youth_ids)
    repository_projection.apply_projection(session, project(repository.load_projectable_events(session, youth_ids)))


def rebuild_all(session: Session, chunk: int = 5000) -> int:
    """`glansrijk rebuild-state`: clear the projection and replay every event; returns the events replayed."""
    repository.delete_projection(session)
    after, replayed = 0, 0
    while True:
        events = repository.iter_all_projectable_events(session, after, chunk)
        if not events:
            return replayed
        repository_projection.apply_projection(session, project(events))
        replayed += len(events)
        after = events[-1].seq
