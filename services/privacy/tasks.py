# SPDX-License-Identifier: EUPL-1.2
"""Celery tasks of the privacy service: the daily retention run (thin, named, idempotent)."""

from __future__ import annotations

import logging

from celery import shared_task
from sqlalchemy.exc import OperationalError

from services.core.clock import today, utcnow
from services.core.db import transaction
from services.core.settings import get_settings
from services.privacy.erasure import RetentionOutcome, run_retention

RETENTION = "privacy.retention"
log = logging.getLogger(__name__)


def retention() -> RetentionOutcome:
    """The run the task, the CLI and the tests share: one transaction, so an interrupted run erases nothing
    half; a second run finds nothing left to do."""
    with transaction() as session:
        return run_retention(session, utcnow(), today(), get_settings().retention_years)


@shared_task(name=RETENTION, autoretry_for=(OperationalError,), retry_backoff=True, max_retries=5, time_limit=1800)
def retention_task() -> None:
    outcome = retention()
    log.info("privacy retention: %d erased", len(outcome.erased))
