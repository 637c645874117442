# SPDX-License-Identifier: EUPL-1.2
"""`glansrijk status`: what an operator on call checks first (docs/operations.md).

Prints the evaluation backlog (the outbox), the webhook backlog, the last day's deliveries, subscriptions by
state and the broker's queue lengths, and exits 1 when something is behind by more than the alert thresholds,
so that a monitoring system can run it as a check.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated, Any

import typer

from services.core import repository_operations as operations
from services.core.celery_app import WEBHOOK_QUEUE
from services.core.clock import as_utc, utcnow
from services.core.db import transaction
from services.core.settings import get_settings

# Alert thresholds (seconds): beyond these the outbox sweep or the dispatchers are not keeping up.
EVALUATION_LAG_ALERT = 300
DELIVERY_LAG_ALERT = 300
QUEUES = ("celery", WEBHOOK_QUEUE)


def _age(oldest: datetime | None, now: datetime) -> float:
    if oldest is None:
        return 0.0
    return max(0.0, (now - as_utc(oldest)).total_seconds())


def _queues() -> dict[str, Any]:
    url = get_settings().redis_url
    if not url:
        return {"broker": "none (embedded: tasks run in-process)"}
    import redis

    client = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)
    try:
        return {"broker": "ok", **{f"queue_{name}": int(client.llen(name)) for name in QUEUES}}
    except redis.RedisError as error:
        return {"broker": f"unreachable ({type(error).__name__})"}
    finally:
        client.close()


def collect() -> dict[str, Any]:
    now = utcnow()
    with transaction(read_only=True) as session:
        outbox = operations.unevaluated_requests(session)
        due = operations.due_deliveries(session, now)
        last_day = operations.deliveries_by_status_since(session, operations.day_ago(now))
        subscriptions = operations.subscriptions_by_state(session)
    report: dict[str, Any] = {
        "unevaluated_requests": outbox.count,
        "evaluation_lag_seconds": round(_age(outbox.oldest, now), 1),
        "due_deliveries": due.count,
        "delivery_lag_seconds": round(_age(due.oldest, now), 1),
        "deliveries_last_24h": last_day,
        "subscriptions": subscriptions,
        **_queues(),
    }
    alerts = []
    if report["evaluation_lag_seconds"] > EVALUATION_LAG_ALERT:
        alerts.append("evaluation-lag")
    if report["delivery_lag_seconds"] > DELIVERY_LAG_ALERT:
        alerts.append("delivery-lag")
    if str(report["broker"]).startswith("unreachable"):
        alerts.append("broker-unreachable")
    report["alerts"] = alerts
    return report


def status(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """How far evaluation and webhook delivery lag behind; exit 1 when an alert threshold is passed."""
    report = collect()
    if as_json:
        typer.echo(json.dumps(report))
    else:
        for name, value in report.items():
            typer.echo(f"{name}: {value}")
    if report["alerts"]:
        raise typer.Exit(1)
