# SPDX-License-Identifier: EUPL-1.2
"""Sending work to the worker only after the transaction that produced it has committed.

With Redis configured the task is published by name on one publisher thread, so a request never waits on
the broker; when publishing fails the outbox row stays and the periodic sweep sends it later (a stopped
broker only delays), and a short circuit breaker stops every request from paying for a dead broker.
In the embedded default the registered task runs on one background thread of this process (one, so SQLite
sees a single writer from the worker side).
"""

from __future__ import annotations

import logging
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session

from services.core.settings import get_settings

log = logging.getLogger(__name__)

_PENDING_KEY = "glansrijk.after_commit_tasks"
BREAKER_SECONDS = 10.0


class _Executors:
    """Lazily created single-thread executors (created after a fork, never inherited)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.publisher: ThreadPoolExecutor | None = None
        self.embedded: ThreadPoolExecutor | None = None
        self.futures: list[Future[Any]] = []
        self.broker_down_until = 0.0

    def submit(self, kind: str, fn: Any, *args: Any) -> None:
        with self._lock:
            executor = getattr(self, kind)
            if executor is None:
                executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"glansrijk-{kind}")
                setattr(self, kind, executor)
            self.futures.append(executor.submit(fn, *args))

    def drain(self, timeout: float | None) -> None:
        while True:
            with self._lock:
                if not self.futures:
                    return
                future = self.futures.pop(0)
            try:
                future.result(timeout=timeout)
            except Exception:
                log.exception("an in-process task failed")


_executors = _Executors()


def enqueue_after_commit(session: Session, task_name: str, *args: Any) -> None:
    session.info.setdefault(_PENDING_KEY, []).append((task_name, args))


@event.listens_for(Session, "after_commit")
def _send_after_commit(session: Session) -> None:
    for task_name, args in session.info.pop(_PENDING_KEY, []):
        send_task(task_name, *args)


@event.listens_for(Session, "after_rollback")
def _forget_on_rollback(session: Session) -> None:
    session.info.pop(_PENDING_KEY, None)


def _publish(task_name: str, args: tuple[Any, ...]) -> None:
    from services.core.celery_app import celery_app

    if time.monotonic() < _executors.broker_down_until:
        return  # the broker failed moments ago: the outbox sweep will send this
    try:
        celery_app.send_task(task_name, args=list(args))
    except Exception as exc:
        _executors.broker_down_until = time.monotonic() + BREAKER_SECONDS
        log.warning("could not publish %s (%s): the outbox sweep will send it", task_name, type(exc).__name__)


def send_task(task_name: str, *args: Any) -> None:
    """Hand a task over by name: published to the broker, or (embedded) run on the in-process thread."""
    if not get_settings().embedded:
        _executors.submit("publisher", _publish, task_name, args)
        return
    from services.core.celery_app import celery_app

    task = celery_app.tasks.get(task_name)
    if task is None:
        log.debug("no in-process task %s registered: left for the outbox sweep", task_name)
        return
    _executors.submit("embedded", task.run, *args)


def wait_for_tasks(timeout: float | None = None) -> None:
    """Block until every task handed over so far was published or, embedded, has run (CLI and tests)."""
    _executors.drain(timeout)


class EmbeddedSchedule:
    """The embedded default's stand-in for beat while `glansrijk serve all` runs: sends named tasks every few
    seconds to the in-process thread (webhook retries fall due without any new event; the outbox sweep)."""

    def __init__(self, every: dict[str, float]) -> None:
        self.every = every
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def _run(self) -> None:
        due = {name: time.monotonic() + seconds for name, seconds in self.every.items()}
        while not self._stop.wait(min(self.every.values(), default=1.0) / 2):
            now = time.monotonic()
            for name, moment in due.items():
                if now >= moment:
                    due[name] = now + self.every[name]
                    send_task(name)

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="glansrijk-schedule", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
