# SPDX-License-Identifier: EUPL-1.2
"""The demo's webhook receiver checks Standard Webhooks signatures as the official library makes them."""

from __future__ import annotations

import base64
import json
import secrets
from datetime import UTC, datetime

import httpx
from standardwebhooks import Webhook

from services.cli.demo_webhooks import WebhookReceiver, verify


def signed(secret: str, body: bytes, webhook_id: str) -> dict[str, str]:
    now = datetime.now(tz=UTC)
    signature = Webhook(secret).sign(webhook_id, now, body.decode())
    return {"webhook-id": webhook_id, "webhook-timestamp": str(int(now.timestamp())), "webhook-signature": signature}


def test_verify_accepts_the_library_signature_and_refuses_another_secret() -> None:
    secret = "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()
    other = "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()
    body = b'{"type": "nl.glansrijk.signal.raised"}'
    headers = signed(secret, body, "msg_1")
    assert verify(secret, headers, body)
    assert not verify(other, headers, body)
    assert not verify(secret, headers, body + b" ")


def test_the_receiver_counts_each_webhook_id_once_per_partner() -> None:
    receiver = WebhookReceiver()
    secret = "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()
    receiver.secrets["/leerplicht"] = secret
    receiver.start()
    try:
        body = json.dumps({"type": "nl.glansrijk.signal.raised"}).encode()
        for webhook_id in ("a", "a", "b"):
            answer = httpx.post(receiver.url + "/leerplicht", content=body, headers=signed(secret, body, webhook_id))
            assert answer.status_code == 204
        wrong = httpx.post(receiver.url + "/leerplicht", content=body, headers={"webhook-id": "c"})
        assert wrong.status_code == 204
    finally:
        receiver.stop()
    received = receiver.received
    assert dict(received.by_partner["leerplicht"]) == {"signal.raised": 3}
    assert (received.repeats, received.unverified) == (1, 1)
