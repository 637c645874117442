# SPDX-License-Identifier: EUPL-1.2
"""The delivery log, single replay and `recover` (interface.md, "Webhooks"): what an operator uses at night to
see what went wrong and send it again with the original `webhook-id`."""

from __future__ import annotations

import uuid
from datetime import timedelta

import standardwebhooks
from fastapi.testclient import TestClient

from services.core.clock import utcnow
from services.core.dispatch import wait_for_tasks
from tests.factories import make_partner
from tests.signals.api_support import names
from tests.signals.receiver import Receiver
from tests.signals.webhook_support import STATUS_CHANGED, Hook, delivery, dispatch_at, subscription


def _iso(moment: object) -> str:
    return str(moment).replace("+00:00", "Z").replace(" ", "T")


def test_the_log_lists_deliveries_with_their_attempts(hook: Hook, receiver: Receiver) -> None:
    receiver.answers.append((500, {}))
    failed_once = hook.change()
    succeeded = hook.change()

    response = hook.log()
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["next"] is None
    assert [item["id"] for item in body["items"]] == [str(succeeded), str(failed_once)]  # newest first
    item = body["items"][1]
    assert item["eventId"] == item["id"] == receiver.requests[0].webhook_id
    assert item["type"] == STATUS_CHANGED
    assert item["status"] == "pending"
    assert item["nextAttemptAt"].endswith("Z")
    [attempt] = item["attempts"]
    assert attempt["httpStatus"] == 500
    assert attempt["errorClass"] == "http-status"
    assert isinstance(attempt["durationMs"], int)
    assert attempt["at"].endswith("Z")
    assert set(attempt) == {"at", "durationMs", "httpStatus", "errorClass"}

    assert [i["id"] for i in hook.log(status="succeeded").json()["items"]] == [str(succeeded)]
    assert hook.log(type="nl.glansrijk.handover.requested").json()["items"] == []
    written = delivery(succeeded).created_at
    assert [i["id"] for i in hook.log(since=_iso(written)).json()["items"]] == [str(succeeded)]
    assert [i["id"] for i in hook.log(until=_iso(written)).json()["items"]] == [str(failed_once)]


def test_the_log_pages_with_a_cursor(hook: Hook) -> None:
    made = [hook.change() for _ in range(3)]
    seen: list[str] = []
    response = hook.log(limit=2)
    while True:
        assert response.status_code == 200, response.text
        body = response.json()
        seen += [item["id"] for item in body["items"]]
        if body["next"] is None:
            break
        response = hook.client.get(body["next"], headers=hook.owner.headers)
    assert seen == [str(d) for d in reversed(made)]


def test_bad_filters_name_the_parameter(hook: Hook) -> None:
    for query, name in (
        ({"status": "lost"}, "status"),
        ({"type": "nl.glansrijk.signal.nope"}, "type"),
        ({"since": "yesterday"}, "since"),
        ({"since": "2026-12-01T08:00:00"}, "since"),  # no offset: which 08:00?
        ({"cursor": "not-a-cursor"}, "cursor"),
    ):
        response = hook.log(**query)
        assert response.status_code == 400, (query, response.text)
        assert response.headers["content-type"] == "application/problem+json"
        assert names(response) == [name]


def test_another_partners_log_is_not_there(client: TestClient, hook: Hook) -> None:
    stranger = make_partner(["leerplicht"], scopes=["subscriptions:manage"])
    made = hook.change()
    base = f"/signals/v1/subscriptions/{hook.id}"
    assert client.get(f"{base}/deliveries", headers=stranger.headers).status_code == 404
    assert client.post(f"{base}/deliveries/{made}/replay", headers=stranger.headers).status_code == 404
    window = {"since": "2020-01-01T00:00:00Z", "until": "2030-01-01T00:00:00Z"}
    assert client.post(f"{base}/recover", json=window, headers=stranger.headers).status_code == 404
    reader = make_partner(["leerplicht"], scopes=["signals:read"])
    assert client.get(f"{base}/deliveries", headers=reader.headers).status_code == 403
    unknown = f"{base}/deliveries/{uuid.uuid4()}/replay"
    assert client.post(unknown, headers=hook.owner.headers).status_code == 404


def test_replay_sends_again_with_the_same_webhook_id(hook: Hook, receiver: Receiver) -> None:
    made = hook.change()
    assert delivery(made).status == "succeeded"
    response = hook.client.post(
        f"/signals/v1/subscriptions/{hook.id}/deliveries/{made}/replay", headers=hook.owner.headers
    )
    assert response.status_code == 202, response.text
    wait_for_tasks()
    first, again = receiver.requests
    assert first.webhook_id == again.webhook_id == str(made)
    assert first.body == again.body
    standardwebhooks.Webhook(hook.subscription["secret"]).verify(again.body, again.headers)
    row = delivery(made)
    assert (row.status, row.attempts) == ("succeeded", 2)


def test_replay_of_a_pending_delivery_is_a_conflict(hook: Hook, receiver: Receiver) -> None:
    receiver.answers.append((500, {}))
    made = hook.change()
    response = hook.client.post(
        f"/signals/v1/subscriptions/{hook.id}/deliveries/{made}/replay", headers=hook.owner.headers
    )
    assert response.status_code == 409
    assert len(receiver.requests) == 1


def test_recover_resends_failed_and_skipped_after_re_enabling(hook: Hook, receiver: Receiver) -> None:
    receiver.answers.extend([(500, {})] * 20)
    failed = hook.change()
    started = utcnow()
    # Run the whole schedule: 8 attempts, then `failed` (about 28 hours later).
    moment = started
    while delivery(failed).status == "pending":
        next_at = delivery(failed).next_attempt_at
        assert next_at is not None
        moment = next_at if next_at.tzinfo else next_at.replace(tzinfo=started.tzinfo)
        dispatch_at(moment)
    assert delivery(failed).status == "failed"
    receiver.answers.clear()

    # Paused by the partner: a change meanwhile is kept as skipped; recover refuses while it is disabled.
    base = f"/signals/v1/subscriptions/{hook.id}"
    paused = hook.client.patch(base, json={"status": "disabled"}, headers=hook.owner.headers)
    assert paused.status_code == 200, paused.text
    skipped = hook.change()
    assert delivery(skipped).status == "skipped"
    window = {"since": _iso(started - timedelta(minutes=1)), "until": _iso(utcnow() + timedelta(minutes=1))}
    assert hook.client.post(f"{base}/recover", json=window, headers=hook.owner.headers).status_code == 409

    assert hook.client.patch(base, json={"status": "active"}, headers=hook.owner.headers).status_code == 200
    assert subscription(hook.id).status == "active"
    response = hook.client.post(f"{base}/recover", json=window, headers=hook.owner.headers)
    assert response.status_code == 202, response.text
    assert response.json() == {"count": 2}
    wait_for_tasks()
    assert delivery(failed).status == delivery(skipped).status == "succeeded"
    delivered = [r.webhook_id for r in receiver.requests]
    assert delivered.count(str(failed)) == 9  # 8 failed attempts, then the recovered one: the same webhook-id
    assert delivered.count(str(skipped)) == 1


def test_recover_needs_a_window(hook: Hook) -> None:
    base = f"/signals/v1/subscriptions/{hook.id}/recover"
    for body, failing in (
        ({}, ["/since", "/until"]),
        ({"since": "2026-12-01T00:00:00Z", "until": "2026-11-01T00:00:00Z"}, ["/until"]),
        ({"since": "2026-12-01T00:00:00", "until": "2026-12-02T00:00:00Z"}, ["/since"]),
        ({"since": "2026-12-01T00:00:00Z", "until": "2026-12-02T00:00:00Z", "extra": 1}, ["/extra"]),
    ):
        response = hook.client.post(base, json=body, headers=hook.owner.headers)
        assert response.status_code == 400, (body, response.text)
        assert sorted(names(response)) == failing
