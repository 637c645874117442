# SPDX-License-Identifier: EUPL-1.2
"""Webhook subscriptions: CRUD, isolation, URL checks, secrets and rotation, the handshake.

interface.md, "Webhooks". Public targets are IP literals, so no test depends on outside DNS.
"""

from __future__ import annotations

import base64
import re
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import standardwebhooks
from fastapi.testclient import TestClient
from sqlalchemy import update
from sqlalchemy.orm import Session

from services.core.db import get_engine
from services.core.identity import decrypt
from services.core.models import Subscription
from services.core.settings import reset_settings
from services.signals.webhooks.event_types import EVENT_TYPES, subscribed
from services.signals.webhooks.signing import signing_secrets
from services.signals.webhooks.urls import BlockedUrl, check_url
from tests.factories import TestPartner, make_partner
from tests.signals.api_support import names

BASE = "/signals/v1/subscriptions"
PUBLIC = "https://93.184.215.14/hooks/glansrijk"  # a public literal: nothing is resolved or connected to
RAISED = "nl.glansrijk.signal.raised"
SECRET = re.compile(r"^whsec_[A-Za-z0-9+/]{43}=$")


@pytest.fixture
def owner() -> TestPartner:
    return make_partner(["leerplicht"])


@pytest.fixture
def other() -> TestPartner:
    return make_partner(["youth-care"])


def _create(client: TestClient, partner: TestPartner, **fields: Any) -> Any:
    body = {"url": PUBLIC, "types": [RAISED], **fields}
    return client.post(BASE, json=body, headers=partner.headers)


def _row(subscription_id: str) -> Subscription:
    with Session(get_engine()) as session:
        row = session.get(Subscription, uuid.UUID(subscription_id))
        assert row is not None
        session.expunge(row)
        return row


def _allow_http(env: pytest.MonkeyPatch) -> None:
    env.setenv("GLANSRIJK_ALLOW_HTTP_WEBHOOKS", "true")
    reset_settings()


# --- CRUD and visibility ----------------------------------------------------------------------------------------


def test_create_read_update_delete(client: TestClient, owner: TestPartner) -> None:
    created = _create(client, owner, description="Casusregie", authToken="tok-123")
    assert created.status_code == 201, created.text
    body = created.json()
    assert created.headers["location"] == f"http://testserver{BASE}/{body['id']}"
    assert SECRET.match(body.pop("secret"))
    assert body == {
        "id": body["id"],
        "url": PUBLIC,
        "types": [RAISED],
        "description": "Casusregie",
        "status": "active",
        "disabledReason": None,
        "createdAt": body["createdAt"],
    }
    assert body["createdAt"].endswith("Z")
    # Read: the same, without the secret; the auth token is write-only and stored encrypted.
    read = client.get(f"{BASE}/{body['id']}", headers=owner.headers)
    assert read.status_code == 200
    assert read.json() == body
    row = _row(body["id"])
    assert row.auth_token is not None and b"tok-123" not in row.auth_token
    assert decrypt(row.auth_token) == "tok-123"

    changed = client.patch(
        f"{BASE}/{body['id']}",
        json={"types": ["nl.glansrijk.handover.*", RAISED], "description": None, "authToken": None},
        headers=owner.headers,
    )
    assert changed.status_code == 200, changed.text
    assert changed.json() == {**body, "types": ["nl.glansrijk.handover.*", RAISED], "description": None}
    assert _row(body["id"]).auth_token is None

    assert client.delete(f"{BASE}/{body['id']}", headers=owner.headers).status_code == 204
    assert client.get(f"{BASE}/{body['id']}", headers=owner.headers).status_code == 404
    assert client.delete(f"{BASE}/{body['id']}", headers=owner.headers).status_code == 404


def test_list_pages_newest_first(client: TestClient, owner: TestPartner, other: TestPartner) -> None:
    ids = [_create(client, owner).json()["id"] for _ in range(3)]
    _create(client, other)
    first = client.get(BASE, params={"limit": 2}, headers=owner.headers).json()
    assert [item["id"] for item in first["items"]] == ids[::-1][:2]
    assert all("secret" not in item for item in first["items"])
    second = client.get(first["next"], headers=owner.headers).json()
    assert [item["id"] for item in second["items"]] == ids[:1]
    assert second["next"] is None
    assert client.get(BASE, params={"cursor": "nonsense"}, headers=owner.headers).status_code == 400


def test_other_partners_subscriptions_are_404(client: TestClient, owner: TestPartner, other: TestPartner) -> None:
    subscription_id = _create(client, owner).json()["id"]
    target = f"{BASE}/{subscription_id}"
    assert client.get(target, headers=other.headers).status_code == 404
    assert client.patch(target, json={"description": "x"}, headers=other.headers).status_code == 404
    assert client.post(f"{target}/rotate-secret", headers=other.headers).status_code == 404
    assert client.delete(target, headers=other.headers).status_code == 404
    assert client.get(BASE, headers=other.headers).json() == {"items": [], "next": None}
    assert client.get(f"{BASE}/not-a-uuid", headers=owner.headers).status_code == 404
    assert client.get(target, headers=owner.headers).status_code == 200


def test_scope_is_checked_before_existence(client: TestClient, owner: TestPartner) -> None:
    reader = make_partner(["leerplicht"], scopes=["signals:read", "signals:write"])
    subscription_id = _create(client, owner).json()["id"]
    for method, path in [
        ("GET", BASE),
        ("POST", BASE),
        ("GET", f"{BASE}/{subscription_id}"),
        ("GET", f"{BASE}/{uuid.uuid4()}"),
        ("PATCH", f"{BASE}/{uuid.uuid4()}"),
        ("DELETE", f"{BASE}/{subscription_id}"),
        ("POST", f"{BASE}/{subscription_id}/rotate-secret"),
    ]:
        answer = client.request(method, path, json={"url": PUBLIC, "types": [RAISED]}, headers=reader.headers)
        assert answer.status_code == 403, (method, path)
    assert client.get(BASE).status_code == 401


def test_status_active_re_enables_and_clears_the_reason(client: TestClient, owner: TestPartner) -> None:
    subscription_id = _create(client, owner).json()["id"]
    with get_engine().begin() as connection:
        connection.execute(
            update(Subscription)
            .where(Subscription.id == uuid.UUID(subscription_id))
            .values(status="disabled", disabled_reason="failing")
        )
    read = client.get(f"{BASE}/{subscription_id}", headers=owner.headers).json()
    assert (read["status"], read["disabledReason"]) == ("disabled", "failing")
    enabled = client.patch(f"{BASE}/{subscription_id}", json={"status": "active"}, headers=owner.headers).json()
    assert (enabled["status"], enabled["disabledReason"]) == ("active", None)
    paused = client.patch(f"{BASE}/{subscription_id}", json={"status": "disabled"}, headers=owner.headers).json()
    assert (paused["status"], paused["disabledReason"]) == ("disabled", None)


# --- validation ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("types", "pointer"),
    [
        (["bogus"], "/types/0"),
        ([RAISED, "nl.glansrijk.signal.closed"], "/types/1"),
        (["nl.*.raised"], "/types/0"),
        (["nl.glansrijk.youth.*"], "/types/0"),
        ([], "/types"),
        ("nl.glansrijk.signal.raised", "/types"),
    ],
)
def test_types_are_validated(client: TestClient, owner: TestPartner, types: Any, pointer: str) -> None:
    answer = _create(client, owner, types=types)
    assert answer.status_code == 400, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    assert names(answer) == [pointer]


def test_exact_types_and_prefixes_are_accepted(client: TestClient, owner: TestPartner) -> None:
    types = ["nl.glansrijk.signal.*", "nl.glansrijk.handover.answered", "*"]
    assert _create(client, owner, types=types).json()["types"] == types
    assert subscribed(["nl.glansrijk.signal.*"], RAISED)
    assert not subscribed(["nl.glansrijk.handover.*"], RAISED)
    assert all(subscribed(["nl.glansrijk.*"], event_type) for event_type in EVENT_TYPES)


def test_other_fields_are_validated(client: TestClient, owner: TestPartner) -> None:
    assert names(_create(client, owner, authToken="has space")) == ["/authToken"]
    assert names(_create(client, owner, description="x" * 501)) == ["/description"]
    assert names(_create(client, owner, authtoken="tok")) == ["/authtoken"]
    subscription_id = _create(client, owner).json()["id"]
    patched = client.patch(f"{BASE}/{subscription_id}", json={"url": None, "types": None}, headers=owner.headers)
    assert patched.status_code == 400
    assert names(patched) == ["/url", "/types"]


@pytest.mark.parametrize(
    "url",
    [
        "http://93.184.215.14/hook",
        "ftp://93.184.215.14/hook",
        "https://127.0.0.1/hook",
        "https://10.1.2.3/hook",
        "https://192.168.0.10/hook",
        "https://169.254.169.254/latest/meta-data",
        "https://[::1]/hook",
        "https://[::ffff:127.0.0.1]/hook",
        "https://[fe80::1]/hook",
        "https://[fd00:ec2::254]/hook",
        "https://0.0.0.0/hook",
        "https://224.0.0.1/hook",
        "https://localhost/hook",
        "https://localhost./hook",
        "https://user:pw@93.184.215.14/hook",
        "https://does-not-exist.invalid/hook",
        "https:///hook",
        "not a url",
    ],
)
def test_urls_are_refused(client: TestClient, owner: TestPartner, url: str) -> None:
    answer = _create(client, owner, url=url)
    assert answer.status_code == 400, answer.text
    (problem,) = answer.json()["invalidParams"]
    assert problem["name"] == "/url"
    assert problem["reason"]


def test_refusal_reasons_are_clear(client: TestClient, owner: TestPartner) -> None:
    def reason(url: str) -> str:
        return str(_create(client, owner, url=url).json()["invalidParams"][0]["reason"])

    assert "https" in reason("http://93.184.215.14/hook")
    assert "loopback" in reason("https://localhost/hook")
    assert "metadata" in reason("https://169.254.169.254/")
    assert "private" in reason("https://10.0.0.1/")
    assert "link-local" in reason("https://169.254.1.1/")


def test_development_setting_allows_http_and_loopback_only(
    client: TestClient, owner: TestPartner, settings_env: pytest.MonkeyPatch
) -> None:
    _allow_http(settings_env)
    for url in ["http://127.0.0.1:9/hook", "http://localhost:9/hook", "https://[::1]/hook", "http://93.184.215.14/"]:
        assert _create(client, owner, url=url).status_code == 201, url
    for url in ["http://10.1.2.3/hook", "http://169.254.169.254/", "http://[fe80::1]/"]:
        assert names(_create(client, owner, url=url)) == ["/url"], url


def test_allowed_networks(client: TestClient, owner: TestPartner, settings_env: pytest.MonkeyPatch) -> None:
    settings_env.setenv("GLANSRIJK_WEBHOOK_ALLOWED_NETWORKS", "10.20.0.0/16, fd12:3456::/32")
    reset_settings()
    assert _create(client, owner, url="https://10.20.3.4/hook").status_code == 201
    assert _create(client, owner, url="https://[fd12:3456::1]/hook").status_code == 201
    assert _create(client, owner, url="https://10.21.3.4/hook").status_code == 400
    # Still https only, and loopback is not in the allowed networks.
    assert _create(client, owner, url="http://10.20.3.4/hook").status_code == 400
    assert _create(client, owner, url="https://127.0.0.1/hook").status_code == 400


def test_every_resolved_address_must_pass() -> None:
    answers = [(2, 1, 6, "", ("93.184.215.14", 443)), (2, 1, 6, "", ("10.0.0.5", 443))]
    with pytest.raises(BlockedUrl, match="private"):
        check_url("https://mixed.example/hook", resolver=lambda *_args, **_kw: answers)
    target = check_url("https://public.example/x", resolver=lambda *_args, **_kw: answers[:1])
    assert (target.host, target.port, [str(a) for a in target.addresses]) == ("public.example", 443, ["93.184.215.14"])


# --- secrets --------------------------------------------------------------------------------------------------


def test_secret_is_standard_webhooks_compatible(client: TestClient, owner: TestPartner) -> None:
    secret = _create(client, owner).json()["secret"]
    assert len(base64.b64decode(secret.removeprefix("whsec_"))) == 32
    webhook = standardwebhooks.Webhook(secret)
    payload = '{"specversion":"1.0"}'
    moment = datetime.now(UTC)
    signature = webhook.sign("msg-1", moment, payload)
    headers = {"webhook-id": "msg-1", "webhook-timestamp": str(int(moment.timestamp())), "webhook-signature": signature}
    webhook.verify(payload, headers)


def test_rotation_keeps_the_old_secret_for_the_grace_period(client: TestClient, owner: TestPartner) -> None:
    created = _create(client, owner).json()
    old = created["secret"]
    assert signing_secrets(_row(created["id"])) == [old]

    rotated = client.post(f"{BASE}/{created['id']}/rotate-secret", headers=owner.headers)
    assert rotated.status_code == 200
    new = rotated.json()["secret"]
    assert SECRET.match(new) and new != old
    assert "secret" not in client.get(f"{BASE}/{created['id']}", headers=owner.headers).json()
    row = _row(created["id"])
    now = datetime.now(UTC)
    assert signing_secrets(row, now) == [new, old]
    assert signing_secrets(row, now + timedelta(hours=23)) == [new, old]
    assert signing_secrets(row, now + timedelta(hours=24, minutes=1)) == [new]

    # The PATCH form rotates as well; the secret before is the one still in its grace.
    patched = client.patch(f"{BASE}/{created['id']}", json={"rotateSecret": True}, headers=owner.headers).json()
    assert signing_secrets(_row(created["id"])) == [patched["secret"], new]
    plain = client.patch(f"{BASE}/{created['id']}", json={"description": "x"}, headers=owner.headers).json()
    assert "secret" not in plain


def test_rotation_without_grace(client: TestClient, owner: TestPartner, settings_env: pytest.MonkeyPatch) -> None:
    settings_env.setenv("GLANSRIJK_SECRET_ROTATION_HOURS", "0")
    reset_settings()
    created = _create(client, owner).json()
    new = client.post(f"{BASE}/{created['id']}/rotate-secret", headers=owner.headers).json()["secret"]
    assert signing_secrets(_row(created["id"])) == [new]


# --- the handshake --------------------------------------------------------------------------------------------


class _Receiver(BaseHTTPRequestHandler):
    allowed_origin: str | None = None
    status = 200
    seen: list[str | None]

    def do_OPTIONS(self) -> None:
        self.seen.append(self.headers.get("WebHook-Request-Origin"))
        self.send_response(self.status)
        if self.allowed_origin is not None:
            self.send_header("WebHook-Allowed-Origin", self.allowed_origin)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the test reads what the receiver saw from `seen`, not from stderr."""


@contextmanager
def _serve(allowed_origin: str | None, status: int = 200) -> Iterator[tuple[str, list[str | None]]]:
    seen: list[str | None] = []
    handler = type("Handler", (_Receiver,), {"allowed_origin": allowed_origin, "status": status, "seen": seen})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/hook", seen
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize("allowed", ["testserver", "*", "other.example, TestServer"])
def test_handshake_consent(
    client: TestClient, owner: TestPartner, settings_env: pytest.MonkeyPatch, allowed: str
) -> None:
    _allow_http(settings_env)
    with _serve(allowed) as (url, seen):
        created = _create(client, owner, url=url, handshake=True)
        assert created.status_code == 201, created.text
        assert seen == ["testserver"]


@pytest.mark.parametrize(("allowed", "status"), [(None, 200), ("elsewhere.example", 200), ("*", 403), ("*", 302)])
def test_handshake_refusal(
    client: TestClient, owner: TestPartner, settings_env: pytest.MonkeyPatch, allowed: str | None, status: int
) -> None:
    _allow_http(settings_env)
    with _serve(allowed, status) as (url, seen):
        refused = _create(client, owner, url=url, handshake=True)
        assert refused.status_code == 400, refused.text
        assert names(refused) == ["/url"]
        assert seen == ["testserver"]
    assert client.get(BASE, headers=owner.headers).json()["items"] == []


def test_handshake_without_a_listener_is_refused(
    client: TestClient, owner: TestPartner, settings_env: pytest.MonkeyPatch
) -> None:
    _allow_http(settings_env)
    with _serve("*") as (closed, _seen):
        pass  # the server is shut down on leaving the block: nothing listens on its port any more
    refused = _create(client, owner, url=closed, handshake=True)
    assert names(refused) == ["/url"]
    assert "did not answer" in refused.json()["invalidParams"][0]["reason"]


def test_a_description_postgres_cannot_store_is_400_naming_it(client: TestClient, owner: TestPartner) -> None:
    answer = _create(client, owner, description="ours\x00")

    assert answer.status_code == 400, answer.text
    assert names(answer) == ["/description"]
