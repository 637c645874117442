# SPDX-License-Identifier: EUPL-1.2
"""The demo's API server: the three APIs under uvicorn on a thread of the demo's own process."""

from __future__ import annotations

import signal
import socket
import threading
import time
from contextlib import suppress

import httpx
import typer

HEALTH_TIMEOUT = 20.0


class DemoError(Exception):
    """Something the demo cannot go on from; reported as one line."""


class BackgroundServer:
    """The three APIs under uvicorn on a thread of this process, on a socket bound before it starts."""

    def __init__(self, port: int) -> None:
        import uvicorn

        from services.app import build_app

        app = build_app("all")
        self.routes = frozenset(str(getattr(route, "path", "")) for route in app.routes)
        self.socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            self.socket.bind(("127.0.0.1", port))
        except OSError as exc:
            self.socket.close()
            raise DemoError(f"cannot listen on 127.0.0.1:{port} ({exc.strerror}); try --port 0") from exc
        self.port = int(self.socket.getsockname()[1])
        self.base_url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(app, log_level="warning", access_log=False, server_header=False)
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(
            target=self.server.run, kwargs={"sockets": [self.socket]}, name="glansrijk-demo-api", daemon=True
        )

    def start(self) -> None:
        self.thread.start()
        deadline = time.monotonic() + HEALTH_TIMEOUT
        while time.monotonic() < deadline:
            if not self.thread.is_alive():
                raise DemoError("the API server stopped while starting")
            with suppress(httpx.TransportError):
                if httpx.get(f"{self.base_url}/intake/v1/health", timeout=2.0).status_code == 200:
                    return
            time.sleep(0.05)
        raise DemoError(f"{self.base_url}/intake/v1/health did not answer within {HEALTH_TIMEOUT:.0f} s")

    def wait(self) -> None:
        """Until Ctrl-C (or SIGTERM)."""
        if threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGTERM, lambda *_: setattr(self.server, "should_exit", True))
        try:
            while self.thread.is_alive():
                self.thread.join(0.5)
        except KeyboardInterrupt:
            typer.echo("\nstopping")

    def stop(self) -> None:
        self.server.should_exit = True
        if self.thread.is_alive():
            self.thread.join(10)
        self.socket.close()
