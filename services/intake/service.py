# SPDX-License-Identifier: EUPL-1.2
"""Accepting validated events: pseudonymise, deduplicate, store, project, queue evaluation. Never commits."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy.orm import Session

from services.core.clock import utcnow
from services.core.dispatch import enqueue_after_commit
from services.core.identity import encrypt, pseudonymise
from services.intake import repository
from services.intake.envelope import ValidEvent
from services.intake.projection import StoredEvent, project, version_of

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


def _identifier(event: ValidEvent) -> tuple[Literal["bsn", "onderwijsnummer"], str]:
    person = event.data.person
    if person.bsn is not None:
        return "bsn", person.bsn
    assert person.onderwijsnummer is not None  # guaranteed by the Person model
    return "onderwijsnummer", person.onderwijsnummer


def resolve_youths(session: Session, events: list[ValidEvent]) -> list[uuid.UUID]:
    """The internal youth id of each event, creating youths seen for the first time."""
    identifiers = [_identifier(e) for e in events]
    pseudonyms = [pseudonymise(kind, value) for kind, value in identifiers]
    known = repository.find_youths(session, set(pseudonyms))
    missing: dict[bytes, tuple[str, str]] = {}
    for pseudonym, identifier in zip(pseudonyms, identifiers, strict=True):
        if pseudonym not in known:
            missing[pseudonym] = identifier
    if missing:
        now = utcnow()
        repository.insert_youths(
            session,
            [
                {
                    "id": uuid.uuid4(),
                    "pseudonym": pseudonym,
                    "identifier_kind": kind,
                    "identifier_ciphertext": encrypt(value),
                    "created_at": now,
                }
                for pseudonym, (kind, value) in missing.items()
            ],
        )
        known.update(repository.find_youths(session, missing))
    return [known[p] for p in pseudonyms]


def _stored_data(event: ValidEvent) -> dict[str, Any]:
    # `person` never reaches the event store; postcode4 is not kept at all (no rule or report may use it).
    return event.data.model_dump(mode="json", by_alias=True, exclude={"person", "postcode4"}, exclude_none=True)


def accept_events(
    session: Session, partner_id: uuid.UUID, events: list[ValidEvent], *, raise_signals: bool = True
) -> AcceptResult:
    if not events:
        return AcceptResult([], None)
    now = utcnow()
    first_index: dict[tuple[str, str], int] = {}
    for position, event in enumerate(events):
        first_index.setdefault((event.source, event.id), position)
    # A pair stored before stores nothing: no youth, no outbox row, no local id. (A concurrent request storing
    # the same pair first is still caught by the insert's ON CONFLICT.)
    known = repository.existing_pairs(session, first_index)
    fresh = {key: position for key, position in first_index.items() if key not in known}
    if not fresh:
        return AcceptResult([EventResult(e.index, e.id, "duplicate") for e in events], None)
    positions = list(fresh.values())
    youth_ids = dict(zip(positions, resolve_youths(session, [events[p] for p in positions]), strict=True))
    batch_id = repository.insert_batch(
        session, partner_id=partner_id, count=len(fresh), raise_signals=raise_signals, now=now
    )
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
                "partner_id": partner_id,
                "youth_id": youth_ids[position],
                "batch_id": batch_id,
                "received_at": now,
                "data": stored_data[position],
                "birth_date": event.data.person.birth_date,
                "retracted": False,
            }
        )
    stored = repository.insert_events(session, rows)

    results = []
    new_events: list[StoredEvent] = []
    for position, event in enumerate(events):
        key = (event.source, event.id)
        is_new = key in stored and first_index[key] == position
        results.append(EventResult(event.index, event.id, "accepted" if is_new else "duplicate"))
        if is_new:
            new_events.append(
                StoredEvent(
                    seq=stored[key],
                    youth_id=youth_ids[position],
                    partner_id=partner_id,
                    source=event.source,
                    event_id=event.id,
                    type=event.type,
                    time=event.time,
                    birth_date=event.data.person.birth_date,
                    data=stored_data[position],
                )
            )
    if new_events:
        stored_index = {key: position for key, position in fresh.items() if key in stored}
        _project_new_events(session, new_events, events, youth_ids, partner_id, stored_index)
        if raise_signals:
            enqueue_after_commit(session, EVALUATE_BATCH_TASK, batch_id)
    return AcceptResult(results, batch_id)


def _project_new_events(
    session: Session,
    new_events: list[StoredEvent],
    events: list[ValidEvent],
    youth_ids: dict[int, uuid.UUID],
    partner_id: uuid.UUID,
    first_index: dict[tuple[str, str], int],
) -> None:
    retractions = [e for e in new_events if e.type == RETRACTION]
    repository.insert_retractions(
        session,
        [{"source": e.source, "retracted_id": e.data["retractedId"], "event_seq": e.seq} for e in retractions],
    )
    # Retracted now: events this request retracts, and new events an earlier retraction already named.
    candidates = {(e.source, e.data["retractedId"]) for e in retractions} | {(e.source, e.event_id) for e in new_events}
    flagged = repository.mark_retracted(session, candidates)
    flagged_seqs = {seq for seq, _ in flagged}
    new_seqs = {e.seq for e in new_events}
    # A youth whose already projected fact was retracted is replayed in full from the event store.
    replay = {youth for seq, youth in flagged if seq not in new_seqs}
    projectable = [
        e for e in new_events if e.type != RETRACTION and e.seq not in flagged_seqs and e.youth_id not in replay
    ]
    repository.apply_projection(session, project(projectable))
    if replay:
        rebuild_youths(session, replay)
    repository.upsert_local_ids(session, _local_ids(events, youth_ids, partner_id, first_index))


def _local_ids(
    events: list[ValidEvent],
    youth_ids: dict[int, uuid.UUID],
    partner_id: uuid.UUID,
    first_index: dict[tuple[str, str], int],
) -> list[dict[str, Any]]:
    """The newest `localId` per youth among the events this request stored (one upsert may not hit a key twice)."""
    newest: dict[uuid.UUID, dict[str, Any]] = {}
    for key, position in first_index.items():
        local_id = events[position].data.person.local_id
        if local_id is None:
            continue
        youth_id = youth_ids[position]
        row = {
            "partner_id": partner_id,
            "youth_id": youth_id,
            "local_id": local_id,
            "version": version_of(events[position].time, *key),
        }
        current = newest.get(youth_id)
        if current is None or row["version"] > current["version"]:
            newest[youth_id] = row
    return list(newest.values())


def rebuild_youths(session: Session, youth_ids: set[uuid.UUID]) -> None:
    """Replay these youths' state from their stored, unretracted events."""
    repository.delete_projection(session, youth_ids)
    repository.apply_projection(session, project(repository.load_projectable_events(session, youth_ids)))


def rebuild_all(session: Session, chunk: int = 5000) -> int:
    """`glansrijk rebuild-state`: clear the projection and replay every event; returns the events replayed."""
    repository.delete_projection(session)
    after, replayed = 0, 0
    while True:
        events = repository.iter_all_projectable_events(session, after, chunk)
        if not events:
            return replayed
        repository.apply_projection(session, project(events))
        replayed += len(events)
        after = events[-1].seq
