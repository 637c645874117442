# SPDX-License-Identifier: EUPL-1.2
"""What an attempt's outcome means (interface.md, "Webhooks"): for the delivery, and for its subscription.

- 2xx: succeeded. 410: failed, and the subscription is disabled (`gone`).
- 429/502/503/504 with `Retry-After`: the next attempt then (at most 10 h away).
- Anything else (other statuses, redirects, time-outs, refused connections, blocked addresses): the next attempt
  at about 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h (with jitter); after the last, `failed`.
- A subscription none of whose attempts succeeded for 5 days is disabled (`failing`); its pending deliveries
  are kept as `skipped`.
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from services.core.clock import as_utc
from services.core.models import Subscription
from services.signals.webhooks.repository_deliveries import Claimed

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
FAILING_FOR = timedelta(days=5)


def _jittered(delay: timedelta) -> timedelta:
    return delay * (1 + random.uniform(-JITTER, JITTER))  # spreads retries, not security


def next_state(
    delivery: Claimed, at: datetime, succeeded: bool, http_status: int | None, retry_after: timedelta | None
) -> dict[str, Any]:
    """The delivery's new status, counters and schedule after this attempt (a row for `update_outcomes`)."""
    attempts, round_attempts = delivery.attempts + 1, delivery.round_attempts + 1
    status, next_at = "pending", None
    if succeeded:
        status = "succeeded"
    elif http_status == 410 or round_attempts > len(RETRY_DELAYS):
        status = "failed"
    else:
        next_at = at + (retry_after if retry_after is not None else _jittered(RETRY_DELAYS[round_attempts - 1]))
    return {
        "b_id": delivery.id,
        "status": status,
        "attempts": attempts,
        "round_attempts": round_attempts,
        "next_attempt_at": next_at,
        "last_attempt_at": at,
    }


def settle_subscription(subscription: Subscription, outcomes: Iterable[tuple[datetime, bool, int | None]]) -> bool:
    """Apply a round's outcomes (at, succeeded, http status) to the (locked) subscription; True when that
    disabled it, so that its pending deliveries become `skipped`."""
    disabled = False
    for at, succeeded, http_status in sorted(outcomes, key=lambda outcome: outcome[0]):
        if succeeded:
            subscription.failing_since = None
            continue
        if subscription.failing_since is None:
            subscription.failing_since = at
        if subscription.status != "active":
            continue
        if http_status == 410:
            subscription.status, subscription.disabled_reason = "disabled", "gone"
        elif at - as_utc(subscription.failing_since) >= FAILING_FOR:
            subscription.status, subscription.disabled_reason = "disabled", "failing"
        else:
            continue
        subscription.updated_at = at
        disabled = True
    return disabled
