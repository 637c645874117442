# SPDX-License-Identifier: EUPL-1.2
"""Celery tasks of the signals service: thin, named, idempotent, ids-only arguments (design.md).

Each task is safe to run twice (acks late: a killed worker's task runs again): a batch is evaluated once
(locked and marked), and a dedupe key raises at most one signal.
"""

from __future__ import annotations

import logging
import uuid
from datetime import date, timedelta
from typing import Any

from celery import shared_task
from sqlalchemy.exc import OperationalError

from services.core.clock import today, utcnow
from services.core.db import transaction
from services.core.dispatch import send_task
from services.core.settings import get_settings
from services.signals.evaluation import repository, runner
from services.signals.evaluation.service import EVALUATE_WAITING
from services.signals.webhooks import dispatch
from services.signals.webhooks.outbox import DELIVER_DUE

log = logging.getLogger(__name__)

EVALUATE_BATCH = "signals.evaluate_batch"
SWEEP_OUTBOX = "signals.sweep_outbox"
DAILY_SCAN = "signals.daily_scan"
SCAN_CHUNK = "signals.scan_chunk"
FINISH_SCAN = "signals.finish_scan"
# Evaluation tasks retry what a database restart or a lost connection gives (they are idempotent).
_RETRIED: dict[str, Any] = {"autoretry_for": (OperationalError,), "retry_backoff": True, "max_retries": 5}


@shared_task(name=EVALUATE_BATCH, time_limit=300, soft_time_limit=280, **_RETRIED)
def evaluate_batch(batch_id: int) -> None:
    """The evaluation that follows one accepted request, as of the clock's date."""
    runner.evaluate_batch(batch_id, today(), wait=False)


@shared_task(name=EVALUATE_WAITING, time_limit=300, soft_time_limit=280, **_RETRIED)
def evaluate_waiting() -> None:
    """More small requests were waiting than one evaluation takes along: the next of them, as of the clock's
    date (sent by that evaluation after it committed)."""
    runner.evaluate_waiting(today())


@shared_task(name=SWEEP_OUTBOX, time_limit=120, soft_time_limit=110)
def sweep_outbox() -> None:
    """Re-send evaluation for outbox rows left behind: a stopped broker or worker only delays signals."""
    # A row older than one sweep interval was not evaluated by the task its request sent (broker down, lost).
    grace = timedelta(seconds=get_settings().outbox_sweep_seconds)
    with transaction(read_only=True) as session:
        batch_ids = repository.unevaluated_batches(session, utcnow() - grace, runner.SWEEP_LIMIT)
    for batch_id in batch_ids:
        send_task(EVALUATE_BATCH, batch_id)
    if batch_ids:
        log.info("outbox sweep re-sent %d batches", len(batch_ids))


@shared_task(name=DAILY_SCAN, time_limit=600, soft_time_limit=580)
def daily_scan(day: str | None = None) -> None:
    """Split the daily evaluation into chunks of youths that several workers share."""
    as_of = date.fromisoformat(day) if day else today()
    chunks = 0
    for first, last in runner.scan_chunks():
        send_task(SCAN_CHUNK, str(first), str(last), as_of.isoformat())
        chunks += 1
    send_task(FINISH_SCAN, as_of.isoformat())
    log.info("daily scan as of %s: %d chunks sent", as_of, chunks)


@shared_task(name=SCAN_CHUNK, time_limit=600, soft_time_limit=580, **_RETRIED)
def scan_chunk(first: str, last: str, day: str) -> None:
    runner.scan_chunk(uuid.UUID(first), uuid.UUID(last), date.fromisoformat(day))


@shared_task(name=FINISH_SCAN, time_limit=600, soft_time_limit=580, **_RETRIED)
def finish_scan(day: str) -> None:
    runner.finish_scan(date.fromisoformat(day))


@shared_task(name=DELIVER_DUE, time_limit=900, soft_time_limit=880)
def deliver_due() -> None:
    """Send the webhook deliveries that are due (every few seconds from beat, and after each commit that wrote
    some). Safe to run twice at once: each claims different deliveries."""
    _, more = dispatch.deliver_due()
    if more:
        send_task(DELIVER_DUE)  # the time budget ran out with deliveries still due: carry on in a new task
