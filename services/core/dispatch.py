# SPDX-License-Identifier: EUPL-1.2
"""Sending work to the worker only after the transaction that produced it has committed.

With Redis configured the task is published by name; when publishing fails the outbox row stays and the
periodic sweep sends it later, so a stopped broker only delays. In the embedded default the registered task
runs on one background thread of this process (one, so SQLite sees a single writer from the worker side).
"""

from __future__ import annotations

import logging
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session

from services.core.settings import get_settings

log = logging.getLogger(__name__)

_PENDING_KEY = "glansrijk.after_commit_tasks"
_embedded_executor: ThreadPoolExecutor | None = None
_embedded_futures: list[Future[Any]] = []


def enqueue_after_commit(session: Session, task_name: str, *args: Any) -> None:
    session.info.setdefault(_PENDING_KEY, []).append((task_name, args))


@event.listens_for(Session, "after_commit")
def _send_after_commit(session: Session) -> None:
    for task_name, args in session.info.pop(_PENDING_KEY, []):
        send_task(task_name, *args)


@event.listens_for(Session, "after_rollback")
def _forget_on_rollback(session: Session) -> None:
    session.info.pop(_PENDING_KEY, None)


def send_task(task_name: str, *args: Any) -> bool:
    """Publish (or, embedded, schedule) a task by name; False when it could not be handed over."""
    from services.core.celery_app import celery_app

    if not get_settings().embedded:
        try:
            celery_app.send_task(task_name, args=list(args))
            return True
        except Exception as exc:  # the outbox sweep will send it again
            log.warning("could not publish %s (%s): the outbox sweep will retry", task_name, type(exc).__name__)
            return False
    task = celery_app.tasks.get(task_name)
    if task is None:
        log.debug("no in-process task %s registered: left for the outbox sweep", task_name)
        return False
    global _embedded_executor
    if _embedded_executor is None:
        _embedded_executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="glansrijk-task")
    _embedded_futures.append(_embedded_executor.submit(task.run, *args))
    return True


def wait_for_embedded_tasks(timeout: float | None = None) -> None:
    """Block until every in-process task handed over so far has finished (the CLI and tests use it)."""
    while _embedded_futures:
        _embedded_futures.pop(0).result(timeout=timeout)
