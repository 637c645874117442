# SPDX-License-Identifier: EUPL-1.2
"""What each answer of a receiver does to a delivery and its subscription (interface.md, "Webhooks"):
Retry-After, time-outs, the retry schedule to `failed`, 5 days failing, blocked addresses, pinned connections.

The receiver is a real HTTP server on 127.0.0.1; the schedule lives in the database, so later attempts are
made by running the dispatcher with its clock moved forward instead of sleeping.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from email.utils import format_datetime
from ipaddress import ip_address

import httpx
import pytest

from services.core.clock import as_utc, utcnow
from services.core.settings import reset_settings
from services.signals.webhooks import transport, urls
from services.signals.webhooks.outcomes import RETRY_DELAYS
from tests.signals.receiver import Receiver
from tests.signals.webhook_support import (
    Hook,
    attempts,
    delivery,
    dispatch_at,
    subscription,
)


def _delay(delivery_id: uuid.UUID) -> timedelta:
    row = delivery(delivery_id)
    assert row.next_attempt_at is not None and row.last_attempt_at is not None
    return as_utc(row.next_attempt_at) - as_utc(row.last_attempt_at)


def test_429_with_retry_after_in_seconds_is_honoured(hook: Hook, receiver: Receiver) -> None:
    receiver.answers.append((429, {"Retry-After": "120"}))
    made = hook.change()
    [attempt] = attempts(made)
    assert (attempt.http_status, attempt.error_class) == (429, "http-status")
    assert delivery(made).status == "pending"
    assert _delay(made) == timedelta(seconds=120)


def test_503_with_retry_after_as_a_date_is_honoured_up_to_10_hours(hook: Hook, receiver: Receiver) -> None:
    later = utcnow() + timedelta(hours=1)
    receiver.answers.append((503, {"Retry-After": format_datetime(later, usegmt=True)}))
    first = hook.change()
    assert abs(_delay(first) - timedelta(hours=1)) < timedelta(seconds=5)

    receiver.answers.append((429, {"Retry-After": str(3 * 24 * 3600)}))
    second = hook.change()
    assert _delay(second) == timedelta(hours=10)


def test_retry_after_on_a_500_is_not_a_schedule(hook: Hook, receiver: Receiver) -> None:
    receiver.answers.append((500, {"Retry-After": "3600"}))
    made = hook.change()
    # The first retry of the schedule (about 5 s, with jitter), not the hour asked for.
    assert timedelta(seconds=4) <= _delay(made) <= timedelta(seconds=6)


def test_only_the_first_4_kb_of_an_answer_is_read_and_kept(hook: Hook, receiver: Receiver) -> None:
    receiver.answers.append((500, {"Content-Type": "text/plain; charset=utf-8"}))
    receiver.body = ("é" * 1_000_000).encode()  # 2 MB: read no further than the excerpt
    made = hook.change()
    [attempt] = attempts(made)
    assert attempt.http_status == 500
    assert attempt.response_excerpt == "é" * 2048


def test_a_receiver_that_never_answers_is_a_timeout(hook: Hook, receiver: Receiver) -> None:
    receiver.hold = True
    made = hook.change()  # waits for the dispatcher: 15 s
    [attempt] = attempts(made)
    assert attempt.http_status is None
    assert attempt.error_class == "timeout"
    assert attempt.duration_ms >= transport.TIMEOUT_SECONDS * 1000
    assert delivery(made).status == "pending"


def test_the_retry_schedule_ends_in_failed(hook: Hook, receiver: Receiver) -> None:
    receiver.answers.extend([(500, {})] * 10)
    made = hook.change()
    gaps = []
    for _ in RETRY_DELAYS:
        row = delivery(made)
        assert row.status == "pending" and row.next_attempt_at is not None
        assert row.last_attempt_at is not None
        gaps.append(as_utc(row.next_attempt_at) - as_utc(row.last_attempt_at))
        assert dispatch_at(as_utc(row.next_attempt_at)) == 1

    row = delivery(made)
    assert (row.status, row.attempts, row.next_attempt_at) == ("failed", 8, None)
    for gap, planned in zip(gaps, RETRY_DELAYS, strict=True):
        assert planned * 0.9 <= gap <= planned * 1.1
    assert {r.webhook_id for r in receiver.requests} == {str(made)}
    assert len(receiver.requests) == 8
    # Failing for about 28 hours does not disable: that takes 5 days.
    assert subscription(hook.id).status == "active"


def test_five_days_of_failures_disable_the_subscription(hook: Hook, receiver: Receiver) -> None:
    receiver.answers.extend([(500, {})] * 20)
    first = hook.change()
    started = as_utc(attempts(first)[0].at)
    second = hook.change()  # failing since the first attempt: still active
    assert subscription(hook.id).status == "active"

    # Four days and 23 hours on: failing, not yet for 5 days.
    assert dispatch_at(started + timedelta(days=4, hours=23)) == 2
    assert subscription(hook.id).status == "active"
    assert dispatch_at(started + timedelta(days=5, hours=1)) == 2
    disabled = subscription(hook.id)
    assert (disabled.status, disabled.disabled_reason) == ("disabled", "failing")
    assert delivery(first).status == delivery(second).status == "skipped"

    # Events for a disabled subscription are kept as skipped, never sent.
    sent = len(receiver.requests)
    third = hook.change()
    assert delivery(third).status == "skipped"
    assert len(receiver.requests) == sent


def test_a_success_ends_a_run_of_failures(hook: Hook, receiver: Receiver) -> None:
    receiver.answers.append((500, {}))
    first = hook.change()
    assert subscription(hook.id).failing_since is not None
    started = as_utc(attempts(first)[0].at)
    assert dispatch_at(started + timedelta(days=4)) == 1  # the retry succeeds
    assert delivery(first).status == "succeeded"
    assert subscription(hook.id).failing_since is None


def test_a_target_blocked_at_connect_time_is_not_contacted(
    hook: Hook, receiver: Receiver, settings_env: pytest.MonkeyPatch
) -> None:
    # Registered while loopback was allowed; the operator then turned the development setting off.
    settings_env.setenv("GLANSRIJK_ALLOW_HTTP_WEBHOOKS", "false")
    reset_settings()
    made = hook.change()
    [attempt] = attempts(made)
    assert (attempt.http_status, attempt.error_class) == (None, urls.ERROR_CLASS)
    assert receiver.requests == []


def test_connections_go_to_the_approved_address_only(receiver: Receiver) -> None:
    """DNS rebinding: the host is never resolved again; the approved address is connected to, `Host` kept."""
    port = int(receiver.url.rsplit(":", 1)[1].split("/")[0])
    # `.invalid` never resolves (RFC 6761): reaching the receiver proves the approved address was used.
    url = f"http://glansrijk-test.invalid:{port}/hook"
    approved = urls.Target(url, "http", "glansrijk-test.invalid", port, (ip_address("127.0.0.1"),))
    client = transport.http_client()
    with transport.pinned(approved):
        response = client.post(url, content=b"{}")
    assert response.status_code == 200
    [received] = receiver.requests
    assert received.headers["host"] == f"glansrijk-test.invalid:{port}"

    # Without an approved address nothing is connected to (and nothing is resolved).
    with pytest.raises(httpx.ConnectError):
        client.post(f"http://other-host.invalid:{port}/hook", content=b"{}")
    with transport.pinned(approved), pytest.raises(httpx.ConnectError):
        client.post(f"http://glansrijk-test.invalid:{port + 1}/hook", content=b"{}")
    assert len(receiver.requests) == 1
