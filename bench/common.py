# SPDX-License-Identifier: EUPL-1.2
"""Shared by the benchmarks: the bench database, uvicorn subprocesses, machine facts, percentiles, tables.

Everything runs on 127.0.0.1 and stops by itself; servers are ended in `finally` blocks by their own pid.
"""

from __future__ import annotations

import os
import platform
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import httpx
import psycopg

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
PG_HOST = os.environ.get("BENCH_PG_HOST", "127.0.0.1")
PG_PORT = int(os.environ.get("BENCH_PG_PORT", "5432"))
PG_USER = os.environ.get("BENCH_PG_USER", "postgres")
BENCH_DB = "glansrijk_bench"


def admin_dsn(dbname: str = "postgres") -> str:
    return f"host={PG_HOST} port={PG_PORT} user={PG_USER} dbname={dbname}"


def bench_dsn() -> str:
    return admin_dsn(BENCH_DB)


def bench_url() -> str:
    """The SQLAlchemy URL of the bench database (same driver as production: psycopg 3)."""
    return f"postgresql+psycopg://{PG_USER}@{PG_HOST}:{PG_PORT}/{BENCH_DB}"


def recreate_database() -> None:
    with psycopg.connect(admin_dsn(), autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {BENCH_DB} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {BENCH_DB}")


def use_bench_database() -> None:
    """Point this process's `services` settings at the bench database (call before any engine exists)."""
    os.environ["GLANSRIJK_DATABASE_URL"] = bench_url()
    os.environ.pop("GLANSRIJK_REDIS_URL", None)
    from services.core.db import dispose_engines
    from services.core.settings import reset_settings

    reset_settings()
    dispose_engines()


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Server:
    name: str
    port: int
    process: subprocess.Popen[bytes]
    log_path: Path

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


def _wait_ready(server: Server, health_path: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"{server.name} exited with {server.process.returncode}:\n{server.log_tail()}")
        try:
            if httpx.get(server.base_url + health_path, timeout=1.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{server.name} did not answer {health_path} within {timeout} s:\n{server.log_tail()}")


def stop_server(server: Server) -> None:
    """SIGTERM (uvicorn's supervisor stops its workers and waits for them), then SIGKILL to the whole group."""
    process = server.process
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            with suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


@contextmanager
def uvicorn_server(
    name: str, factory: str, health_path: str, env: dict[str, str], keep_broker: bool = False, workers: int = 1
) -> Iterator[Server]:
    """`uvicorn --factory <factory>` with `workers` processes on a free loopback port, stopped on exit; without a
    broker (the embedded default) unless `keep_broker`."""
    port = free_port()
    log_path = Path(tempfile.gettempdir()) / f"glansrijk-bench-{name}-{os.getpid()}.log"
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        "--factory",
        factory,
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--no-access-log",
        "--log-level",
        "warning",
    ]
    full_env = {**os.environ, **env}
    if not keep_broker:
        full_env.pop("GLANSRIJK_REDIS_URL", None)
    with log_path.open("wb") as log:
        # Its own process group: with more than one worker, a kill of the supervisor alone would orphan them.
        process = subprocess.Popen(
            command, cwd=ROOT, env=full_env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
    server = Server(name, port, process, log_path)
    try:
        _wait_ready(server, health_path, timeout=60)
        yield server
    finally:
        stop_server(server)


def machine_ticks() -> tuple[int, int]:
    """(all, idle) CPU time of the machine so far in clock ticks, from /proc/stat (idle includes iowait)."""
    with open("/proc/stat") as stat:
        values = [int(value) for value in stat.readline().split()[1:]]
    return sum(values), values[3] + values[4]


def process_group(pid: int) -> Iterator[tuple[Path, list[str]]]:
    """The live process `pid` and every process in its group (a server's workers, a worker's pool): each one's
    /proc directory and the fields of its stat after the command name (state, ppid, pgrp, ..., utime at index
    11, stime at 12)."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            if int(entry.name) == pid or int(fields[2]) == pid:
                yield entry, fields
        except (OSError, IndexError, ValueError):
            continue  # a process that ended while being read


def group_cpu_seconds(pid: int) -> float:
    """CPU time (user and system) of process `pid` and the live processes of its group."""
    ticks = sum(int(fields[11]) + int(fields[12]) for _, fields in process_group(pid))
    return ticks / os.sysconf("SC_CLK_TCK")


def percentile(sorted_values: Sequence[float], fraction: float) -> float:
    """Nearest-rank percentile of already sorted values (nan when empty)."""
    if not sorted_values:
        return float("nan")
    rank = max(1, min(len(sorted_values), round(fraction * len(sorted_values) + 0.5)))
    return sorted_values[rank - 1]


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def machine(dbname: str = BENCH_DB) -> dict[str, str]:
    with psycopg.connect(admin_dsn(dbname)) as conn:
        row = conn.execute("SHOW server_version").fetchone()
        pg_version = row[0] if row else "unknown"
        sync = conn.execute("SHOW synchronous_commit").fetchone()
    return {
        "date": date.today().isoformat(),
        "nproc": str(os.cpu_count()),
        "cpu": _cpu_model(),
        "python": platform.python_version(),
        "postgres": f"{pg_version} (synchronous_commit={sync[0] if sync else '?'})",
        "os": f"{platform.system()} {platform.release()}",
    }


def markdown_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "| " + " | ".join("---" for _ in header) + " |"]
    lines.extend("| " + " | ".join(row) + " |" for row in rows)
    return "\n".join(lines)


def publish(name: str, text: str) -> None:
    """Write today's result file of a benchmark and show it."""
    path = write_result(name, text)
    print()
    print(text)
    print(f"written to {path.relative_to(ROOT)}")


def write_result(name: str, text: str) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}-{date.today().isoformat()}.md"
    path.write_text(text)
    return path
