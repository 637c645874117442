# SPDX-License-Identifier: EUPL-1.2
"""Per-key rate limits: a fixed one-minute window per API key, counted in Redis (ADR 0028).

Shared by every process of every service, so the limit holds however many replicas serve a key. Redis is the
limiter's only state: when it does not answer within `SOCKET_TIMEOUT` the request is let through (fail open:
intake must keep accepting events while Redis is down; the outbox and the database carry the rest), with one
warning line per outage, and Redis is not asked again for `RETRY_AFTER_OUTAGE` seconds so that an outage does
not add a timeout to every request. The embedded default (no Redis) has no limiter.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid

import redis

from services.core.problems import Problem
from services.core.settings import get_settings

log = logging.getLogger(__name__)

WINDOW_SECONDS = 60
# A request waits at most this long on the limiter; a local Redis answers in well under a millisecond.
SOCKET_TIMEOUT = 0.1
RETRY_AFTER_OUTAGE = 5.0
_PREFIX = "glansrijk:ratelimit:"


class RateLimiter:
    def __init__(self, url: str, per_minute: int) -> None:
        self.per_minute = per_minute
        self._client = redis.Redis.from_url(
            url, socket_timeout=SOCKET_TIMEOUT, socket_connect_timeout=SOCKET_TIMEOUT, retry_on_timeout=False
        )
        self._lock = threading.Lock()
        self._down_until = 0.0

    def check(self, key_id: uuid.UUID) -> None:
        """Count one request of `key_id`; 429 with `Retry-After` once the window's limit is passed."""
        now = time.time()
        if now < self._down_until:
            return
        window = int(now // WINDOW_SECONDS)
        # The key id names the counter, never the key or its hash: nothing in Redis helps to guess a key.
        counter = f"{_PREFIX}{key_id}:{window}"
        try:
            pipeline = self._client.pipeline(transaction=False)
            pipeline.incr(counter)
            pipeline.expire(counter, WINDOW_SECONDS + 1)
            count = int(pipeline.execute()[0])
        except redis.RedisError as exc:
            self._fail_open(now, exc)
            return
        with self._lock:
            if self._down_until:
                self._down_until = 0.0
                log.info("rate limiting resumed: Redis answers again")
        if count > self.per_minute:
            retry_after = max(1, (window + 1) * WINDOW_SECONDS - int(now))
            raise Problem(
                429,
                f"This key made more than {self.per_minute} requests this minute; retry after {retry_after} s.",
                headers={"Retry-After": str(retry_after)},
            )

    def _fail_open(self, now: float, exc: Exception) -> None:
        with self._lock:
            first = not self._down_until
            self._down_until = now + RETRY_AFTER_OUTAGE
        if first:
            # The exception's class only: its message may hold the Redis URL, and with it a password.
            log.warning(
                "rate limiting is off: Redis does not answer (%s); requests are let through", type(exc).__name__
            )


_limiters: dict[tuple[str, int], RateLimiter] = {}
_limiters_lock = threading.Lock()


def limiter() -> RateLimiter | None:
    """The process's limiter for the current settings; None in the embedded default or with the limit at 0."""
    settings = get_settings()
    if not settings.redis_url or settings.rate_limit_per_minute == 0:
        return None
    identity = (settings.redis_url, settings.rate_limit_per_minute)
    with _limiters_lock:
        found = _limiters.get(identity)
        if found is None:
            found = _limiters[identity] = RateLimiter(*identity)
        return found


def check_rate(key_id: uuid.UUID) -> None:
    current = limiter()
    if current is not None:
        current.check(key_id)
