# SPDX-License-Identifier: EUPL-1.2
"""The webhook dispatcher (interface.md, "Webhooks"): claim due deliveries, send them signed, record attempts.

A round claims up to `CLAIM_LIMIT` due deliveries and leases them (their `next_attempt_at` moves past the
longest a send can take) in one short transaction, sends them concurrently with no transaction open, then
records every outcome in one transaction. Two workers never send the same delivery at once (`FOR UPDATE SKIP
LOCKED`); a worker that dies mid-send leaves its deliveries due again when the lease ends (at least once).
Retries are scheduled in the database, never as Celery ETA tasks.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import os
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

import httpx
import orjson

from services.core.clock import utcnow
from services.core.db import transaction
from services.core.models.delivery import RESPONSE_EXCERPT_CHARS
from services.signals.webhooks import outcomes, transport, urls
from services.signals.webhooks import repository_deliveries as repository
from services.signals.webhooks.repository_deliveries import Claimed
from services.signals.webhooks.signing import plain, signing_secrets

log = logging.getLogger(__name__)

# A round's database work is mostly fixed cost, so rounds are large; its sends share SENDERS threads.
CLAIM_LIMIT = 64
SENDERS = 32
# The lease covers the slowest round: httpx's timeout bounds each phase of a send (pool, connect, write, read)
# on its own, so one send takes at most four of them, and a thread sends CLAIM_LIMIT / SENDERS in a row.
LEASE = timedelta(seconds=-(-CLAIM_LIMIT // SENDERS) * 4 * transport.TIMEOUT_SECONDS + 60)
MAX_RETRY_AFTER = timedelta(hours=10)
RETRY_AFTER_STATUSES = frozenset({429, 502, 503, 504})

_pool_lock = threading.Lock()
_pool: ThreadPoolExecutor | None = None
_pool_pid: int | None = None


def _senders() -> ThreadPoolExecutor:
    """The send threads of this process (created after fork, like the HTTP client)."""
    global _pool, _pool_pid
    with _pool_lock:
        if _pool is None or _pool_pid != os.getpid():
            _pool = ThreadPoolExecutor(max_workers=SENDERS, thread_name_prefix="glansrijk-webhook")
            _pool_pid = os.getpid()
        return _pool


def sign(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    """Standard Webhooks: base64 HMAC-SHA256 over "{id}.{timestamp}.{body}" keyed with the decoded secret."""
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f"{message_id}.{timestamp}.".encode() + body
    return base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode("ascii")


@dataclass(frozen=True)
class Result:
    """One attempt's outcome: the answer's status, or why there was none (`error_class`)."""

    delivery: Claimed
    at: datetime
    duration_ms: int
    http_status: int | None
    error_class: str | None
    excerpt: str | None
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


def _headers(delivery: Claimed, body: bytes, now: datetime) -> dict[str, str]:
    message_id = str(delivery.id)
    timestamp = int(now.timestamp())
    signatures = " ".join(f"v1,{sign(s, message_id, timestamp, body)}" for s in signing_secrets(delivery, now))
    headers = {
        "Content-Type": "application/cloudevents+json",
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signatures,
    }
    if delivery.auth_token is not None:
        headers["Authorization"] = f"Bearer {plain(delivery.auth_token)}"
    return headers


def send(delivery: Claimed, now: datetime) -> Result:
    """One attempt: the URL checked again right before connecting, then one signed POST to the approved address."""
    started = time.monotonic()

    def result(status: int | None, error: str | None, excerpt: str | None, **extra: timedelta | None) -> Result:
        duration = int((time.monotonic() - started) * 1000)
        return Result(delivery, now, duration, status, error, excerpt, **extra)

    try:
        target = urls.check_url(delivery.url)
    except urls.BlockedUrl as blocked:
        return result(None, urls.ERROR_CLASS, blocked.reason[:RESPONSE_EXCERPT_CHARS])
    body = orjson.dumps(delivery.payload)
    headers = _headers(delivery, body, now)
    try:
        # Streamed, and only the first 4 KB read: a receiver answering with a huge body costs us nothing.
        with (
            transport.pinned(target),
            transport.http_client().stream("POST", delivery.url, content=body, headers=headers) as response,
        ):
            excerpt = _excerpt(response)
    except httpx.TimeoutException:
        return result(None, "timeout", None)
    except httpx.HTTPError as error:
        return result(None, "connection-error", type(error).__name__)
    status = response.status_code
    error_class = None if 200 <= status < 300 else "redirect" if 300 <= status < 400 else "http-status"
    retry_after = _retry_after(response.headers.get("Retry-After"), now) if status in RETRY_AFTER_STATUSES else None
    return result(status, error_class, excerpt, retry_after=retry_after)


def _excerpt(response: httpx.Response) -> str | None:
    """The first RESPONSE_EXCERPT_CHARS of the answer's body, as text (undecodable bytes replaced)."""
    read = b""
    for chunk in response.iter_raw():
        read += chunk
        if len(read) >= RESPONSE_EXCERPT_CHARS:
            break
    text = read[:RESPONSE_EXCERPT_CHARS].decode(response.encoding or "utf-8", errors="replace")
    return text[:RESPONSE_EXCERPT_CHARS] or None


def _attempt(delivery: Claimed, now: datetime) -> Result:
    """`send`, with any unexpected error recorded as this attempt's outcome: one bad delivery (a secret that no
    longer decrypts, say) must not keep the rest of its round from being recorded."""
    try:
        return send(delivery, now)
    except Exception as error:
        log.exception("delivery %s could not be attempted", delivery.id)
        return Result(delivery, now, 0, None, "internal-error", type(error).__name__)


def _record(results: list[Result]) -> None:
    """Every attempt, each delivery's new state, and what the outcomes mean for their subscriptions."""
    by_subscription: dict[uuid.UUID, list[Result]] = {}
    for r in results:
        by_subscription.setdefault(r.delivery.subscription_id, []).append(r)
    with transaction() as session:
        # Subscriptions first, in id order: a round that disables one then skips its pending deliveries, and
        # must not wait for deliveries another round holds while that round waits for the subscription.
        subscriptions = repository.lock_subscriptions(session, list(by_subscription))
        repository.insert_attempts(
            session,
            [
                {
                    "delivery_id": r.delivery.id,
                    "at": r.at,
                    "duration_ms": r.duration_ms,
                    "http_status": r.http_status,
                    "error_class": r.error_class,
                    "response_excerpt": r.excerpt,
                }
                for r in results
            ],
        )
        repository.update_outcomes(
            session,
            [outcomes.next_state(r.delivery, r.at, r.succeeded, r.http_status, r.retry_after) for r in results],
        )
        for subscription in subscriptions:
            seen = [(r.at, r.succeeded, r.http_status) for r in by_subscription[subscription.id]]
            if outcomes.settle_subscription(subscription, seen):
                repository.skip_pending(session, subscription.id)


def deliver_round(now: Callable[[], datetime] = utcnow, limit: int = CLAIM_LIMIT) -> int:
    """Claim, send and record one round of due deliveries; the number claimed."""
    with transaction() as session:
        moment = now()
        claimed = repository.claim_due(session, moment, moment + LEASE, limit)
    if not claimed:
        return 0
    results = list(_senders().map(lambda delivery: _attempt(delivery, now()), claimed))
    _record(results)
    return len(claimed)


def deliver_due(now: Callable[[], datetime] = utcnow, budget_seconds: float = 60.0) -> tuple[int, bool]:
    """Rounds until nothing is due or the time budget is spent: (deliveries attempted, whether more may wait)."""
    deadline = time.monotonic() + budget_seconds
    total = 0
    while True:
        claimed = deliver_round(now)
        total += claimed
        if claimed < CLAIM_LIMIT:
            break
        if time.monotonic() >= deadline:
            return total, True
    if total:
        log.info("webhook dispatch: %d deliveries attempted", total)
    return total, False
