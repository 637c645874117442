# SPDX-License-Identifier: EUPL-1.2
"""The demo's local webhook receiver: one HTTP server on 127.0.0.1 that plays every partner's caseworker app.

Each partner subscribes to `nl.glansrijk.signal.*` (and handovers, accountability) at its own path; the receiver
checks each delivery's Standard Webhooks signature with that subscription's secret and counts what it got.
Loopback http targets are allowed for the demo only (`GLANSRIJK_ALLOW_HTTP_WEBHOOKS`, a development setting).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

TYPES = ["nl.glansrijk.signal.*", "nl.glansrijk.handover.*", "nl.glansrijk.accountability.changed"]


@dataclass
class Received:
    """Deliveries per partner handle and event type; ids seen (delivery is at least once); bad signatures."""

    by_partner: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    ids: set[str] = field(default_factory=set)
    repeats: int = 0
    unverified: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def total(self) -> int:
        with self.lock:
            return sum(sum(c.values()) for c in self.by_partner.values())


def verify(secret: str, headers: dict[str, str], body: bytes) -> bool:
    """The Standard Webhooks check: v1 HMAC-SHA256 over "{id}.{timestamp}.{body}" with the decoded secret."""
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f"{headers.get('webhook-id', '')}.{headers.get('webhook-timestamp', '')}.".encode() + body
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    offered = [part.split(",", 1)[1] for part in headers.get("webhook-signature", "").split() if "," in part]
    return any(hmac.compare_digest(expected, candidate) for candidate in offered)


class _Server(ThreadingHTTPServer):
    request_queue_size = 256  # the dispatcher sends on many threads at once: a short backlog refuses some


class WebhookReceiver:
    """A threaded HTTP server on a free loopback port; `secrets` maps a path (/<handle>) to its secret."""

    def __init__(self) -> None:
        self.received = Received()
        self.secrets: dict[str, str] = {}
        self.server = _Server(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, name="glansrijk-demo-webhooks", daemon=True)

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                headers = {k.lower(): v for k, v in self.headers.items()}
                receiver.record(self.path, headers, body)
                self.send_response(204)
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                return

        return Handler

    def record(self, path: str, headers: dict[str, str], body: bytes) -> None:
        secret = self.secrets.get(path)
        ok = secret is not None and verify(secret, headers, body)
        try:
            kind = str(json.loads(body).get("type", "?"))
        except ValueError:
            kind = "?"
        with self.received.lock:
            if not ok:
                self.received.unverified += 1
            webhook_id = headers.get("webhook-id", "")
            if webhook_id in self.received.ids:
                self.received.repeats += 1
                return
            self.received.ids.add(webhook_id)
            self.received.by_partner[path.strip("/")][kind.removeprefix("nl.glansrijk.")] += 1

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)
