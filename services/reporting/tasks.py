# SPDX-License-Identifier: EUPL-1.2
"""Celery tasks of the reporting service: thin, named, idempotent (design.md).

`reporting.refresh` brings the month-end snapshots and the cube up to date; running it twice changes nothing
the second time (only youths changed since the watermark are recomputed), so a redelivered task is harmless.
"""

from __future__ import annotations

from datetime import date

from celery import shared_task
from sqlalchemy.exc import OperationalError

from services.core.clock import today
from services.core.db import transaction
from services.reporting import refresh as refreshing

REFRESH = "reporting.refresh"


def run_refresh(day: date, first: date | None = None) -> refreshing.RefreshOutcome:
    """One unit of work: the task and the in-process callers (CLI, demo, tests) share it."""
    with transaction() as session:
        return refreshing.refresh(session, day, first)


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
