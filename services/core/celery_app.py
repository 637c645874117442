# SPDX-License-Identifier: EUPL-1.2
"""The Celery app object (no tasks here: each service's `tasks.py` registers its own by stable name)."""

from __future__ import annotations

from typing import Any

from celery import Celery
from celery.schedules import crontab
from celery.signals import worker_process_init

from services.core.db import dispose_engines
from services.core.settings import get_settings

WEBHOOK_QUEUE = "webhooks"
# Task modules are named as strings, so intake never imports signal code.
TASK_MODULES: list[str] = ["services.signals.tasks", "services.reporting.tasks", "services.privacy.tasks"]


def _config() -> dict[str, Any]:
    settings = get_settings()
    return {
        "broker_url": settings.redis_url or "memory://",
        "result_backend": None,
        "task_ignore_result": True,
        "task_serializer": "json",
        "accept_content": ["json"],
        "task_acks_late": True,
        "task_reject_on_worker_lost": True,
        "worker_prefetch_multiplier": 1,
        "task_time_limit": 300,
        "task_soft_time_limit": 240,
        "broker_connection_retry_on_startup": True,
        # A redelivered task must not wait for the default 1 h visibility timeout after a worker dies.
        "broker_transport_options": {
            "visibility_timeout": 600,
            "socket_connect_timeout": 2,
            "socket_timeout": 5,
        },
        # Intake publishes after commit: with Redis down it must fail fast, the outbox sweep catches up.
        "task_publish_retry": False,
        "timezone": "Europe/Amsterdam",
        "enable_utc": True,
        "worker_hijack_root_logger": False,
        # Webhook sends get a queue of their own, so they never wait behind a backlog of evaluations (and can
        # be given workers of their own: `glansrijk worker --queues webhooks`).
        "task_routes": {"signals.deliver_due": {"queue": WEBHOOK_QUEUE}},
        "beat_schedule": {
            "sweep-outbox": {"task": "signals.sweep_outbox", "schedule": settings.outbox_sweep_seconds},
            "daily-scan": {"task": "signals.daily_scan", "schedule": crontab(hour=settings.daily_scan_hour, minute=0)},
            "deliver-due": {"task": "signals.deliver_due", "schedule": 5.0},
            # After the daily scan, so that the day's signals are in the month-end snapshots.
            "reporting-refresh": {
                "task": "reporting.refresh",
                "schedule": crontab(hour=(settings.daily_scan_hour + 1) % 24, minute=30),
            },
            # Retention (ADR 0027): daily, after the reporting refresh has read the day's data.
            "privacy-retention": {
                "task": "privacy.retention",
                "schedule": crontab(hour=(settings.daily_scan_hour + 3) % 24, minute=0),
            },
        },
    }


# The embedded default has no beat: `glansrijk serve all` sends these to its in-process thread (seconds).
EMBEDDED_SCHEDULE = {"signals.deliver_due": 5.0, "signals.sweep_outbox": 30.0}


def create_celery() -> Celery:
    app = Celery("glansrijk", include=TASK_MODULES)
    app.conf.update(_config())
    return app


celery_app = create_celery()


@worker_process_init.connect
def _fresh_pools_after_fork(**_kwargs: Any) -> None:
    # A forked child must never share the parent's database connections.
    dispose_engines()
