# SPDX-License-Identifier: EUPL-1.2
"""The dispatcher's HTTP client: connects only to the address the URL check approved (no DNS rebinding).

`urls.check_url` resolves the host and approves every address right before a send. If the client then resolved
the host again, a hostile DNS server could answer with a private address the second time (DNS rebinding) and
Glansrijk would post into its own network. So the connection is made to the approved address itself, while the
URL keeps its host name: TLS still checks the certificate against that name (SNI), `Host` is unchanged, and the
connection pool keeps connections per host name, so two hosts that share an address never share a connection.
"""

from __future__ import annotations

import os
import threading
import typing
from collections.abc import Iterator
from contextlib import contextmanager

import httpcore
import httpx

from services.signals.webhooks.urls import Target

TIMEOUT_SECONDS = 15.0
MAX_CONNECTIONS = 100

_approved = threading.local()


class PinnedBackend(httpcore.SyncBackend):
    """Opens TCP connections only to the address approved for (host, port) on this thread; never resolves."""

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: typing.Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:
        target: Target | None = getattr(_approved, "target", None)
        if target is None or (target.host, target.port) != (host.rstrip(".") or host, port):
            raise httpcore.ConnectError(f"no approved address for {host}:{port}")
        failure: httpcore.ConnectError | None = None
        # Every approved address in the resolver's order, as a plain connect would try them (`localhost` may
        # answer ::1 first for a server that listens on 127.0.0.1 only).
        for address in target.addresses:
            try:
                return super().connect_tcp(
                    str(address), port, timeout, local_address=local_address, socket_options=socket_options
                )
            except httpcore.ConnectError as error:
                failure = error
        assert failure is not None  # a Target always has at least one address
        raise failure


class PinnedTransport(httpx.HTTPTransport):
    """httpx's transport with the pool built on `PinnedBackend` (httpx has no parameter for the backend)."""

    def __init__(self) -> None:
        super().__init__(trust_env=False)
        limits = httpx.Limits(max_connections=MAX_CONNECTIONS, max_keepalive_connections=MAX_CONNECTIONS)
        self._pool = httpcore.ConnectionPool(
            ssl_context=httpx.create_ssl_context(trust_env=False),
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=PinnedBackend(),
        )


@contextmanager
def pinned(target: Target) -> Iterator[None]:
    """Within this block, a new connection from this thread to `target.host` goes to its approved address."""
    _approved.target = target
    try:
        yield
    finally:
        _approved.target = None


_client_lock = threading.Lock()
_client: httpx.Client | None = None
_client_pid: int | None = None


def http_client() -> httpx.Client:
    """The one client of this process (a forked worker makes its own: connections are never shared)."""
    global _client, _client_pid
    with _client_lock:
        if _client is None or _client_pid != os.getpid():
            _client = httpx.Client(
                transport=PinnedTransport(),
                timeout=TIMEOUT_SECONDS,
                follow_redirects=False,
                trust_env=False,
            )
            _client_pid = os.getpid()
        return _client
