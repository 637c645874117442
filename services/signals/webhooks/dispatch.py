# SPDX-License-Identifier: EUPL-1.2
"""The webhook dispatcher (interface.md, "Webhooks"): claim due deliveries, send them signed, record attempts.

Claiming moves a delivery's `next_attempt_at` a lease ahead and commits, so no HTTP call is made inside an open
transaction and two workers never send the same delivery at once (`FOR UPDATE SKIP LOCKED` on Postgres); a
worker that dies mid-send leaves the delivery due again when the lease ends (at least once). Retries are
scheduled in the database, never as Celery ETA tasks. One HTTP client per process, created after fork.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import os
import random
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

import httpx
from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from services.core.clock import utcnow
from services.core.db import transaction
from services.core.identity import decrypt
from services.core.models import Delivery, DeliveryAttempt, Subscription
from services.core.models.delivery import RESPONSE_EXCERPT_CHARS
from services.signals.webhooks import urls
from services.signals.webhooks.signing import signing_secrets

log = logging.getLogger(__name__)

CLAIM_LIMIT = 50
TIMEOUT_SECONDS = 15.0
# Longer than a full batch of sends at the timeout: a claimed delivery is not sent twice while it is in flight.
LEASE = timedelta(seconds=CLAIM_LIMIT * TIMEOUT_SECONDS + 60)
RETRY_DELAYS = (
    timedelta(seconds=5),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=5),
    timedelta(hours=10),
    timedelta(hours=10),
)
JITTER = 0.1
MAX_RETRY_AFTER = timedelta(hours=10)
RETRY_AFTER_STATUSES = frozenset({429, 502, 503, 504})

_client_lock = threading.Lock()
_client: httpx.Client | None = None
_client_pid: int | None = None


def http_client() -> httpx.Client:
    """The one client of this process (a forked worker makes its own: connections are never shared)."""
    global _client, _client_pid
    with _client_lock:
        if _client is None or _client_pid != os.getpid():
            _client = httpx.Client(timeout=TIMEOUT_SECONDS, follow_redirects=False, trust_env=False)
            _client_pid = os.getpid()
        return _client


def sign(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    """Standard Webhooks: base64 HMAC-SHA256 over "{id}.{timestamp}.{body}" keyed with the decoded secret."""
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f"{message_id}.{timestamp}.".encode() + body
    return base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode("ascii")


@dataclass(frozen=True)
class Result:
    http_status: int | None
    error_class: str | None
    excerpt: str | None
    duration_ms: int
    retry_after: timedelta | None = None

    @property
    def succeeded(self) -> bool:
        return self.http_status is not None and 200 <= self.http_status < 300


def _retry_after(value: str | None, now: datetime) -> timedelta | None:
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        delay = timedelta(seconds=int(value))
    else:
        try:
            moment = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        delay = moment - now
    return max(timedelta(0), min(delay, MAX_RETRY_AFTER))


def send(subscription: Subscription, delivery: Delivery, now: datetime) -> Result:
    """One attempt: the URL checked again right before connecting, then one signed POST."""
    started = time.monotonic()

    def elapsed() -> int:
        return int((time.monotonic() - started) * 1000)

    try:
        urls.check_url(subscription.url)
    except urls.BlockedUrl as blocked:
        return Result(None, urls.ERROR_CLASS, blocked.reason[:RESPONSE_EXCERPT_CHARS], elapsed())
    body = json.dumps(delivery.payload, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    message_id = str(delivery.id)
    timestamp = int(now.timestamp())
    signatures = " ".join(f"v1,{sign(s, message_id, timestamp, body)}" for s in signing_secrets(subscription, now))
    headers = {
        "Content-Type": "application/cloudevents+json",
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signatures,
    }
    if subscription.auth_token is not None:
        headers["Authorization"] = f"Bearer {decrypt(subscription.auth_token)}"
    try:
        response = http_client().post(subscription.url, content=body, headers=headers)
    except httpx.TimeoutException:
        return Result(None, "timeout", None, elapsed())
    except httpx.HTTPError as error:
        return Result(None, "connection-error", type(error).__name__, elapsed())
    status = response.status_code
    error_class = None
    if 300 <= status < 400:
        error_class = "redirect"
    elif not 200 <= status < 300:
        error_class = "http-status"
    retry_after = None
    if status in RETRY_AFTER_STATUSES:
        retry_after = _retry_after(response.headers.get("Retry-After"), now)
    return Result(status, error_class, response.text[:RESPONSE_EXCERPT_CHARS] or None, elapsed(), retry_after)


def _jittered(delay: timedelta) -> timedelta:
    return delay * (1 + random.uniform(-JITTER, JITTER))  # jitter, not security


def claim(session: Session, now: datetime, limit: int = CLAIM_LIMIT) -> list[uuid.UUID]:
    """Due pending deliveries, oldest due first, leased to this worker (Postgres skips rows others hold)."""
    ids = list(
        session.scalars(
            select(Delivery.id)
            .where(Delivery.status == "pending", Delivery.next_attempt_at <= now)
            .order_by(Delivery.next_attempt_at)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
    )
    if ids:
        session.execute(update(Delivery).where(Delivery.id.in_(ids)).values(next_attempt_at=now + LEASE))
    return ids


def _record(session: Session, delivery: Delivery, subscription: Subscription, result: Result, at: datetime) -> None:
    session.execute(
        insert(DeliveryAttempt).values(
            delivery_id=delivery.id,
            at=at,
            duration_ms=result.duration_ms,
            http_status=result.http_status,
            error_class=result.error_class,
            response_excerpt=result.excerpt,
        )
    )
    delivery.attempts += 1
    delivery.last_attempt_at = at
    if result.succeeded:
        delivery.status, delivery.next_attempt_at = "succeeded", None
    elif result.http_status == 410:
        # Gone: the subscriber asks us to stop. Its later events are kept as `skipped`.
        delivery.status, delivery.next_attempt_at = "failed", None
        subscription.status, subscription.disabled_reason, subscription.updated_at = "disabled", "gone", at
    elif delivery.attempts > len(RETRY_DELAYS):
        delivery.status, delivery.next_attempt_at = "failed", None
    else:
        delay = result.retry_after or _jittered(RETRY_DELAYS[delivery.attempts - 1])
        delivery.next_attempt_at = at + delay


def deliver_one(delivery_id: uuid.UUID, now: datetime | None = None) -> str | None:
    """Send one claimed delivery and record the outcome; its status afterwards (None when it is gone).

    No transaction is open during the HTTP call: the claim's lease keeps other workers off this delivery.
    """
    with transaction() as session:
        delivery = session.get(Delivery, delivery_id)
        subscription = session.get(Subscription, delivery.subscription_id) if delivery is not None else None
        if delivery is None or subscription is None or delivery.status != "pending":
            return None if delivery is None else delivery.status
        if subscription.status != "active":
            delivery.status, delivery.next_attempt_at = "skipped", None
            return delivery.status
        session.expunge(delivery)
        session.expunge(subscription)
    at = now or utcnow()
    result = send(subscription, delivery, at)
    with transaction() as session:
        stored = session.scalars(select(Delivery).where(Delivery.id == delivery_id).with_for_update()).one_or_none()
        owner = session.get(Subscription, subscription.id)
        if stored is None or owner is None or stored.status != "pending":
            return None if stored is None else stored.status
        _record(session, stored, owner, result, at)
        return stored.status


def deliver_due(now: datetime | None = None, limit: int = CLAIM_LIMIT) -> int:
    """Claim and send what is due; the number claimed (a full batch means more may be waiting)."""
    with transaction() as session:
        ids = claim(session, now or utcnow(), limit)
    for delivery_id in ids:
        try:
            deliver_one(delivery_id, now)
        except Exception:
            # Left pending with its lease: it is tried again when the lease ends.
            log.exception("delivery %s could not be attempted", delivery_id)
    if ids:
        log.info("webhook dispatch: %d deliveries attempted", len(ids))
    return len(ids)
