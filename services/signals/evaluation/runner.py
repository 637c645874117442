# SPDX-License-Identifier: EUPL-1.2
"""Units of work around the evaluation service, one transaction each: used by the tasks and by `scan`.

Chunks are committed one by one, so a scan interrupted half-way keeps what it did and a re-run (safe: the
dedupe keys) finishes the rest.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import date

from services.core.db import transaction
from services.signals.evaluation import repository, service
from services.signals.evaluation.service import Outcome

SCAN_CHUNK = 500
SWEEP_LIMIT = 500


def evaluate_batch(batch_id: int, day: date, *, wait: bool = True) -> Outcome | None:
    with transaction() as session:
        return service.evaluate_batch(session, batch_id, day, wait=wait)


def evaluate_waiting(day: date) -> Outcome | None:
    with transaction() as session:
        return service.evaluate_waiting(session, day)


def evaluate_pending(day: date) -> Outcome:
    """Evaluate every outbox row not yet evaluated, as of `day`, oldest first."""
    total = Outcome()
    while True:
        with transaction() as session:
            batch_ids = repository.unevaluated_batches(session, None, SWEEP_LIMIT)
        if not batch_ids:
            return total
        for batch_id in batch_ids:
            outcome = evaluate_batch(batch_id, day)
            if outcome is not None:
                total.add(outcome)


def scan_chunks(chunk: int = SCAN_CHUNK) -> Iterator[tuple[uuid.UUID, uuid.UUID]]:
    """(first, last) youth ids of consecutive chunks of registered youths: the daily scan's units of work."""
    after: uuid.UUID | None = None
    while True:
        with transaction(read_only=True) as session:
            ids = repository.registered_youths_after(session, after, chunk)
        if not ids:
            return
        yield ids[0], ids[-1]
        after = ids[-1]


def scan_chunk(first: uuid.UUID, last: uuid.UUID, day: date) -> Outcome:
    with transaction() as session:
        return service.evaluate_youths(session, repository.youths_between(session, first, last), day)


def finish_scan(day: date) -> Outcome:
    """What is not about one chunk of youths: stalled handovers, and escalation of every overdue signal."""
    with transaction() as session:
        outcome = service.raise_stalled_handovers(session, day)
        outcome.escalated += service.escalate_due(session, day)
        return outcome


def scan(day: date) -> Outcome:
    """`glansrijk scan`: the pending events first, then the daily evaluation of every youth, in process."""
    total = evaluate_pending(day)
    for first, last in scan_chunks():
        total.add(scan_chunk(first, last, day))
    total.add(finish_scan(day))
    return total
