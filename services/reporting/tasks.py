# SPDX-License-Identifier: EUPL-1.2
"""Celery tasks of the reporting service: thin, named, idempotent (design.md).

`reporting.refresh` brings the month-end snapshots and the cube up to date; running it twice changes nothing
the second time (a month-end is recomputed only for youths changed since its own marks), so a redelivered task is
harmless.
"""

from __future__ import annotations

import logging
from datetime import date, timedelta

from celery import shared_task
from sqlalchemy.exc import OperationalError

from services.core.clock import today
from services.core.db import transaction
from services.core.dispatch import send_task
from services.reporting import refresh as refreshing
from services.reporting import repository

REFRESH = "reporting.refresh"
REFRESH_MONTH_END = "reporting.refresh_month_end"
log = logging.getLogger(__name__)


def run_refresh(day: date, first: date | None = None) -> refreshing.RefreshOutcome:
    """The refresh, one transaction per month-end: an interrupted run keeps every month-end it finished, each
    marked with how far the data had come, and the next run goes on from there. The task and the in-process
    callers (CLI, tests) share it."""
    with transaction(read_only=True) as session:
        work = refreshing.plan(session, day, first)
    outcome = refreshing.RefreshOutcome()
    for month_end, ids in work.days:
        with transaction() as session:
            outcome.youth_months += refreshing.refresh_month_end(session, month_end, ids, work.upto)
        outcome.month_ends.append(month_end)
    log.info("reporting refresh: %d month-ends, %d youth rows", len(outcome.month_ends), outcome.youth_months)
    return outcome


@shared_task(name=REFRESH, time_limit=600, soft_time_limit=580)
def refresh(first: str | None = None) -> None:
    """Plan the refresh as of the clock's date and hand every month-end with work to the workers, so that
    several share a large first refresh; `first` (YYYY-MM-DD) reaches further back than the default history."""
    with transaction(read_only=True) as session:
        work = refreshing.plan(session, today(), date.fromisoformat(first) if first else None)
    for month_end, _ids in work.days:
        send_task(REFRESH_MONTH_END, month_end.isoformat())
    log.info("reporting refresh: %d month-ends sent", len(work.days))


@shared_task(
    name=REFRESH_MONTH_END,
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=5,
    time_limit=3600,
    soft_time_limit=3500,
)
def refresh_month_end(day: str) -> None:
    """One month-end, planned again under the refresh lock: a redelivered or duplicate task finds its youths
    already done (the month-end's marks moved) and does nothing."""
    month_end = date.fromisoformat(day)
    with transaction() as session:
        repository.lock_refresh(session)
        work = refreshing.plan(session, month_end + timedelta(days=1), month_end)
        for planned, ids in work.days:
            refreshing.refresh_month_end(session, planned, ids, work.upto)
