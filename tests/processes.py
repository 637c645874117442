# SPDX-License-Identifier: EUPL-1.2
"""Real processes for tests: an API server (`glansrijk serve`) on a free loopback port."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

import httpx


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_healthy(url: str, process: subprocess.Popen[Any], timeout: float = 60.0) -> None:
    """Wait until `url` answers 200; fail at once if the process exits first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, f"the process exited with {process.returncode}"
        with suppress(httpx.TransportError):
            if httpx.get(url, timeout=1.0).status_code == 200:
                return
        time.sleep(0.1)
    raise AssertionError(f"{url} did not answer 200 within {timeout} s")


@contextmanager
def api_server(
    which: str = "all", env: dict[str, str] | None = None, timeout: float = 30.0, workers: int = 1
) -> Iterator[str]:
    """`glansrijk serve WHICH [--workers N]` in a subprocess; yields its base URL and stops it afterwards."""
    port = free_port()
    environment = {**os.environ, **(env or {})}
    process = subprocess.Popen(
        [
            *(sys.executable, "-m", "services.cli.main", "serve", which),
            *("--host", "127.0.0.1", "--port", str(port), "--workers", str(workers)),
        ],
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    probe = "/intake/v1/health" if which in ("all", "intake") else f"/{which}/v1/health"
    try:
        wait_healthy(base + probe, process, timeout)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


class RedisServer:
    """A private `redis-server` on a free port that a test may stop and start again (nothing kept on disk)."""

    def __init__(self) -> None:
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with suppress(OSError), socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                return
            time.sleep(0.05)
        raise AssertionError("redis-server did not start")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None


def start_process(args: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
    """`python -m services.cli.main ARGS` in its own process group, so that a test can SIGKILL all of it."""
    return subprocess.Popen(
        [sys.executable, "-m", "services.cli.main", *args],
        env={**os.environ, **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


def kill_group(process: subprocess.Popen[bytes], sig: int = 9) -> None:
    """Send `sig` (default SIGKILL) to the process and its children (a Celery worker's pool)."""
    with suppress(ProcessLookupError):
        os.killpg(process.pid, sig)
    process.wait(timeout=30)


def stop_group(process: subprocess.Popen[bytes]) -> None:
    """A warm shutdown (SIGTERM), then SIGKILL if it lingers."""
    with suppress(ProcessLookupError):
        os.killpg(process.pid, 15)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        kill_group(process)


PG_BIN = Path("/usr/lib/postgresql/15/bin")


class PostgresServer:
    """A private PostgreSQL cluster on a free port that a test may stop and start (a restart under load must not
    touch the machine's shared server, where other test runs keep their databases). As root it runs as the
    `postgres` user, since PostgreSQL refuses to run as root."""

    def __init__(self) -> None:
        self.port = free_port()
        self.directory = Path(tempfile.mkdtemp(prefix="glansrijk-pg-"))
        self.data = self.directory / "data"
        self.process: subprocess.Popen[bytes] | None = None

    def _as_owner(self, *command: str) -> list[str]:
        return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else list(command)

    @property
    def admin_dsn(self) -> str:
        return self.dsn("postgres")

    def dsn(self, database: str) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def url(self, database: str) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def init(self) -> None:
        if os.geteuid() == 0:
            shutil.chown(self.directory, "postgres")
        subprocess.run(
            self._as_owner(str(PG_BIN / "initdb"), "-D", str(self.data), "-U", "postgres", "-A", "trust", "-E", "UTF8"),
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    def start(self) -> None:
        settings = ("-c", "listen_addresses=127.0.0.1", "-c", f"unix_socket_directories={self.directory}")
        self.process = subprocess.Popen(
            self._as_owner(str(PG_BIN / "postgres"), "-D", str(self.data), "-p", str(self.port), *settings),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            ready = subprocess.run(
                [str(PG_BIN / "pg_isready"), "-q", "-h", "127.0.0.1", "-p", str(self.port)], check=False
            )
            if ready.returncode == 0:
                return
            time.sleep(0.1)
        raise AssertionError("the private PostgreSQL did not start")

    def stop(self) -> None:
        """A fast shutdown: open connections are cut, as in a restart by an operator or a failover."""
        if self.process is not None:
            pg_ctl = (str(PG_BIN / "pg_ctl"), "-D", str(self.data), "stop", "-m", "fast", "-w")
            subprocess.run(self._as_owner(*pg_ctl), check=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            self.process.wait(timeout=30)
            self.process = None

    def remove(self) -> None:
        self.stop()
        shutil.rmtree(self.directory, ignore_errors=True)
