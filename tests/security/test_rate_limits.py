# SPDX-License-Identifier: EUPL-1.2
"""Per-key rate limits counted in Redis: 429 problem+json with Retry-After past the limit, per key, over every
service; fail open with one warning line (no key material) when Redis does not answer; none when embedded."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from services.core import ratelimit
from services.core.settings import reset_settings
from tests.factories import make_partner
from tests.processes import RedisServer, free_port

LIMIT = 5
READS = ["/signals/v1/subscriptions", "/reporting/v1/indicators", "/reporting/v1/odata"]


@pytest.fixture
def limited(settings_env: pytest.MonkeyPatch, redis: RedisServer) -> Iterator[RedisServer]:
    settings_env.setenv("GLANSRIJK_REDIS_URL", redis.url)
    settings_env.setenv("GLANSRIJK_RATE_LIMIT_PER_MINUTE", str(LIMIT))
    reset_settings()
    yield redis
    ratelimit._limiters.clear()


def _fresh_window(monkeypatch: pytest.MonkeyPatch) -> None:
    # Pinned to the start of a window, so that a minute boundary never falls between a test's requests.
    monkeypatch.setattr(ratelimit.time, "time", lambda: 1_800_000_000.0)


@pytest.mark.parametrize("path", READS)
def test_past_the_limit_is_429_with_retry_after(
    client: TestClient, limited: RedisServer, monkeypatch: pytest.MonkeyPatch, path: str
) -> None:
    _fresh_window(monkeypatch)
    partner = make_partner(["youth-coach"])
    other = make_partner(["leerplicht"])

    answers = [client.get(path, headers=partner.headers).status_code for _ in range(LIMIT)]
    refused = client.get(path, headers=partner.headers)

    assert answers == [200] * LIMIT
    assert refused.status_code == 429
    assert refused.headers["retry-after"] == "60"
    if path.endswith("/odata"):
        assert refused.json()["error"]["code"] == "TooManyRequests"
    else:
        assert refused.headers["content-type"] == "application/problem+json"
        assert refused.json()["status"] == 429
    assert partner.key not in refused.text
    # Another key has its own budget.
    assert client.get(path, headers=other.headers).status_code == 200


def test_a_new_window_starts_afresh(client: TestClient, limited: RedisServer, monkeypatch: pytest.MonkeyPatch) -> None:
    moment = [1_800_000_030.0]
    monkeypatch.setattr(ratelimit.time, "time", lambda: moment[0])
    partner = make_partner(["youth-coach"])
    for _ in range(LIMIT):
        client.get(READS[0], headers=partner.headers)

    refused = client.get(READS[0], headers=partner.headers)
    moment[0] += 30
    again = client.get(READS[0], headers=partner.headers)

    assert refused.status_code == 429 and refused.headers["retry-after"] == "30"
    assert again.status_code == 200


def test_unknown_keys_use_no_budget(client: TestClient, limited: RedisServer, monkeypatch: pytest.MonkeyPatch) -> None:
    _fresh_window(monkeypatch)
    partner = make_partner(["youth-coach"])
    for _ in range(LIMIT * 2):
        assert client.get(READS[0], headers={"Authorization": "Bearer glk_guessed"}).status_code == 401

    assert client.get(READS[0], headers=partner.headers).status_code == 200


def test_redis_down_lets_requests_through_with_one_warning(
    client: TestClient, settings_env: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    settings_env.setenv("GLANSRIJK_REDIS_URL", f"redis://:s3cret-password@127.0.0.1:{free_port()}/0")
    settings_env.setenv("GLANSRIJK_RATE_LIMIT_PER_MINUTE", "1")
    reset_settings()
    partner = make_partner(["youth-coach"])
    try:
        with caplog.at_level(logging.INFO):
            answers = [client.get(READS[0], headers=partner.headers).status_code for _ in range(LIMIT)]
    finally:
        ratelimit._limiters.clear()

    assert answers == [200] * LIMIT
    warnings = [r for r in caplog.records if r.name == ratelimit.__name__ and r.levelno == logging.WARNING]
    assert len(warnings) == 1
    line = warnings[0].getMessage()
    assert "rate limiting is off" in line
    for secret in (partner.key, partner.key_id, "s3cret-password"):
        assert secret not in caplog.text


def test_redis_back_resumes_the_limit(
    client: TestClient, limited: RedisServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    moment = [1_800_000_000.0]
    monkeypatch.setattr(ratelimit.time, "time", lambda: moment[0])
    partner = make_partner(["youth-coach"])
    limited.stop()
    assert [client.get(READS[0], headers=partner.headers).status_code for _ in range(LIMIT + 2)] == [200] * (LIMIT + 2)

    limited.start()
    moment[0] += ratelimit.RETRY_AFTER_OUTAGE + 1
    answers = [client.get(READS[0], headers=partner.headers).status_code for _ in range(LIMIT + 1)]

    assert answers == [200] * LIMIT + [429]


def test_embedded_has_no_limiter(client: TestClient, settings_env: pytest.MonkeyPatch) -> None:
    settings_env.setenv("GLANSRIJK_RATE_LIMIT_PER_MINUTE", "1")
    reset_settings()
    partner = make_partner(["youth-coach"])

    assert ratelimit.limiter() is None
    assert [client.get(READS[0], headers=partner.headers).status_code for _ in range(3)] == [200] * 3


def test_the_counter_is_named_by_key_id(limited: RedisServer, monkeypatch: pytest.MonkeyPatch) -> None:
    import redis as redis_client

    _fresh_window(monkeypatch)
    key_id = uuid.uuid4()
    limiter = ratelimit.limiter()
    assert limiter is not None
    limiter.check(key_id)

    names = [n.decode() for n in redis_client.Redis.from_url(limited.url).keys("*")]
    assert names == [f"glansrijk:ratelimit:{key_id}:{1_800_000_000 // 60}"]
