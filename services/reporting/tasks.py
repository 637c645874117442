# SPDX-License-Identifier: EUPL-1.2
"""Celery tasks of the reporting service: thin, named, idempotent (design.md).

`reporting.refresh` brings the month-end snapshots and the cube up to date; running it twice changes nothing
the second time (only youths changed since the watermark are recomputed), so a redelivered task is harmless.
"""

from __future__ import annotations

import logging
from datetime import date

from celery import shared_task
from sqlalchemy.exc import OperationalError

from services.core.clock import today, utcnow
from services.core.db import transaction
from services.reporting import refresh as refreshing
from services.reporting import repository

REFRESH = "reporting.refresh"
log = logging.getLogger(__name__)


def run_refresh(day: date, first: date | None = None) -> refreshing.RefreshOutcome:
    """The refresh, one transaction per month-end (a large first refresh keeps what it finished); the watermark
    moves only at the end, so an interrupted run is redone from the same changes. The task and the in-process
    callers (CLI, tests) share it."""
    with transaction(read_only=True) as session:
        work = refreshing.plan(session, day, first)
    outcome = refreshing.RefreshOutcome()
    for month_end, ids in work.days:
        with transaction() as session:
            outcome.youth_months += refreshing.refresh_month_end(session, month_end, ids)
        outcome.month_ends.append(month_end)
    with transaction() as session:
        repository.save_watermark(session, work.upto, utcnow())
    log.info("reporting refresh: %d month-ends, %d youth rows", len(outcome.month_ends), outcome.youth_months)
    return outcome


@shared_task(
    name=REFRESH,
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=5,
    time_limit=3600,
    soft_time_limit=3500,
)
def refresh(first: str | None = None) -> None:
    """Refresh as of the clock's date; `first` (YYYY-MM-DD) reaches further back than the default history."""
    run_refresh(today(), date.fromisoformat(first) if first else None)
