# SPDX-License-Identifier: EUPL-1.2
"""A webhook receiver for tests: a real HTTP server on 127.0.0.1 that records what it gets and answers from a
script. Deliveries are verified by the tests with the official `standardwebhooks` library."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

# How long a held request may wait for `release` (longer than the dispatcher's 15 s time-out).
HOLD_LIMIT = 30.0


@dataclass(frozen=True)
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    # When it arrived (time.monotonic()).
    at: float = field(default_factory=time.monotonic)

    @property
    def event(self) -> dict[str, Any]:
        parsed: dict[str, Any] = json.loads(self.body)
        return parsed

    @property
    def webhook_id(self) -> str:
        return self.headers["webhook-id"]


@dataclass
class Receiver:
    """`answers` are popped for requests that `scripted` selects (then 200); `hold` keeps requests that
    `scripted` selects waiting, unanswered, until `release` is set (or the hold limit)."""

    url: str = ""
    requests: list[Received] = field(default_factory=list)
    answers: list[tuple[int, dict[str, str]]] = field(default_factory=list)
    scripted: Callable[[dict[str, Any]], bool] = lambda _event: True
    hold: bool = False
    # The body of every answer (empty by default).
    body: bytes = b""
    holding: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def of_type(self, type_: str) -> list[Received]:
        with self.lock:
            return [r for r in self.requests if r.event["type"] == type_]

    def wait_for(self, count: int, timeout: float = 30.0) -> list[Received]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if len(self.requests) >= count:
                    return list(self.requests)
            time.sleep(0.05)
        raise AssertionError(f"the receiver got {len(self.requests)} requests, not {count}, within {timeout} s")


def _handler(received: Receiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            request = Received(self.path, {k.lower(): v for k, v in self.headers.items()}, body)
            status, headers = 200, {}
            if received.scripted(request.event):
                if received.hold:
                    received.holding.set()
                    received.release.wait(HOLD_LIMIT)
                with received.lock:
                    if received.answers:
                        status, headers = received.answers.pop(0)
            with received.lock:
                received.requests.append(request)
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(received.body)))
            self.end_headers()
            self.wfile.write(received.body)

        def log_message(self, *_args: Any) -> None:
            """Quiet: tests read what the receiver got from `requests`, not from stderr."""

    return Handler


@contextmanager
def running_receiver(path: str = "/hook", port: int = 0) -> Iterator[Receiver]:
    """A receiver on `port` (default: a free one) until the block ends."""
    received = Receiver()
    server = ThreadingHTTPServer(("127.0.0.1", port), _handler(received))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    received.url = f"http://127.0.0.1:{server.server_address[1]}{path}"
    try:
        yield received
    finally:
        received.release.set()
        server.shutdown()
        server.server_close()
