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
from concurrent.futures import Future, ThreadPoolExecutor, wait
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session

from services.core.settings import get_settings

log = logging.getLogger(__name__)

_PENDING_KEY = "glansrijk.after_commit_tasks"
BREAKER_SECONDS = 10.0
# A request of at most this many events is small: the evaluation of another takes it along (ADR 0019), so the
# tasks sent for a burst of small requests may be coalesced into one per COALESCE_SECONDS.
SMALL_REQUEST_EVENTS = 10
COALESCE_SECONDS = 0.02


class _Executors:
    """Lazily created single-thread executors (created after a fork, never inherited).

    Only the futures still pending are kept (for `wait_for_tasks`): a server publishes a task per request for
    as long as it runs, and keeping every finished future would grow its memory without end.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.publisher: ThreadPoolExecutor | None = None
        self.embedded: ThreadPoolExecutor | None = None
        self.pending: set[Future[Any]] = set()
        self.broker_down_until = 0.0

    def submit(self, kind: str, fn: Any, *args: Any) -> None:
        with self._lock:
            executor = getattr(self, kind)
            if executor is None:
                executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"glansrijk-{kind}")
                setattr(self, kind, executor)
            future = executor.submit(fn, *args)
            self.pending.add(future)
        future.add_done_callback(self._finished)

    def _finished(self, future: Future[Any]) -> None:
        with self._lock:
            self.pending.discard(future)
        if not future.cancelled() and future.exception() is not None:
            log.error("an in-process task failed", exc_info=future.exception())

    def drain(self, timeout: float | None) -> None:
        """Until nothing handed over is pending (tasks may hand over more tasks meanwhile)."""
        while True:
            with self._lock:
                waiting = list(self.pending)
            if not waiting:
                return
            done, _ = wait(waiting, timeout=timeout)
            if len(done) < len(waiting):
                return  # timed out
            with self._lock:
                self.pending.difference_update(done)  # their callbacks may not have run yet


_executors = _Executors()


def enqueue_after_commit(session: Session, task_name: str, *args: Any, coalesce: bool = False) -> None:
    """Send the task once the session's transaction has committed (never if it rolls back). `coalesce`: the
    task may be merged with others of its name sent within COALESCE_SECONDS (the last one's arguments win)."""
    session.info.setdefault(_PENDING_KEY, []).append((task_name, args, coalesce))


@event.listens_for(Session, "after_commit")
def _send_after_commit(session: Session) -> None:
    for task_name, args, coalesce in session.info.pop(_PENDING_KEY, []):
        send_task(task_name, *args, coalesce=coalesce)


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


class _Coalescer:
    """At most one task per name is published per COALESCE_SECONDS: the first at once, and, if more came in the
    meantime, the last of them when the window closes. So every task offered is followed by a publication made
    after it was offered: a task that evaluates "this request and any small ones waiting" then misses none."""

    def __init__(self, window: float) -> None:
        self._window = window
        self._lock = threading.Lock()
        self._next_allowed: dict[str, float] = {}
        self._trailing: dict[str, tuple[Any, ...]] = {}

    def offer(self, task_name: str, args: tuple[Any, ...]) -> None:
        with self._lock:
            now = time.monotonic()
            allowed = self._next_allowed.get(task_name, 0.0)
            if now >= allowed and task_name not in self._trailing:
                self._next_allowed[task_name] = now + self._window
                publish_now, start_timer = True, False
            else:
                publish_now, start_timer = False, task_name not in self._trailing
                self._trailing[task_name] = args
        if publish_now:
            _executors.submit("publisher", _publish, task_name, args)
        elif start_timer:
            timer = threading.Timer(max(0.0, allowed - now), self._flush, (task_name,))
            timer.daemon = True
            timer.start()

    def _flush(self, task_name: str) -> None:
        with self._lock:
            args = self._trailing.pop(task_name, None)
            self._next_allowed[task_name] = time.monotonic() + self._window
        if args is not None:
            _executors.submit("publisher", _publish, task_name, args)


_coalescer = _Coalescer(COALESCE_SECONDS)


def send_task(task_name: str, *args: Any, coalesce: bool = False) -> None:
    """Hand a task over by name: published to the broker, or (embedded) run on the in-process thread."""
    if not get_settings().embedded:
        if coalesce:
            _coalescer.offer(task_name, args)
        else:
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
