# SPDX-License-Identifier: EUPL-1.2
"""The load test: sustained mixed traffic against the production shape on 127.0.0.1, bounded in time.

First the single-event intake peak is measured (closed loop, 8 clients, as in bench.intake); then for
`--seconds` (default 180) an open-loop schedule sends, at the same time:
- single events at that peak rate (absence weeks of preloaded youths; a share completes 16 hours and raises a
  signal, so evaluation and webhooks work too);
- a batch of 100 events every 2 s;
- signal reads (`GET /signals/v1/signals`, 5 a second);
- reporting reads (an indicator by district, 1 a second).
It reports throughput, p50/p95/p99 and errors per kind, the worker's lag (the oldest unevaluated request and the
oldest due delivery, sampled every 2 s), how long the backlog takes to drain afterwards, and the memory of each
process after a warm-up and at the end. `python -m bench.load` (about 5 minutes) or `--quick` (about 1).
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import orjson
import psycopg

from bench import common
from bench.http_load import closed_loop
from bench.stack import (
    TRIGGER_WEEK,
    Stack,
    absence_body,
    bench_stack,
    drain_outbox,
    neutral_bodies,
    preload_youths,
)

TODAY = date(2026, 2, 6)
DATABASE = "glansrijk_bench_load"
EVENTS = "/intake/v1/events"
SINGLE = {"Content-Type": "application/cloudevents+json"}
BATCH = {"Content-Type": "application/cloudevents-batch+json"}
REPORT = "/reporting/v1/indicators/neet-rate/observations?period=month&by=district"
TRIGGER_SHARE = 10  # one single event in this many completes a youth's 16 hours


@dataclass
class Kind:
    """One kind of request: what was sent and how it went."""

    name: str
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    sent: int = 0
    # Seconds from the start of the run to the last answer: answers per second = sent / this.
    last_answer: float = 0.0

    def row(self, seconds: float) -> list[str]:
        ordered = sorted(self.latencies)
        return [
            self.name,
            f"{self.sent:,}",
            f"{self.sent / seconds:,.1f}",
            f"{self.sent / max(self.last_answer, seconds):,.1f}",
            f"{common.percentile(ordered, 0.50) * 1000:,.1f}",
            f"{common.percentile(ordered, 0.95) * 1000:,.1f}",
            f"{common.percentile(ordered, 0.99) * 1000:,.1f}",
            f"{self.errors:,}",
        ]


def rss_mib(pid: int) -> float:
    """Resident memory of a process and every process in its group (a worker's pool), in MiB."""
    total = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            if int(entry.name) != pid and int(stat[2]) != pid:  # field 5 of stat: the process group
                continue
            for line in (entry / "status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except (OSError, IndexError, ValueError):
            continue  # a process that ended while being read
    return total / 1024


def memory(stack: Stack) -> dict[str, float]:
    return {name: rss_mib(pid) for name, pid in stack.pids.items()}


def lag(stack: Stack) -> tuple[float, float]:
    """(seconds the oldest unevaluated request waits, seconds the oldest due delivery waits)."""
    with psycopg.connect(common.admin_dsn(stack.database), autocommit=True) as conn:
        row = conn.execute(
            """
            SELECT extract(epoch FROM now() - (SELECT min(received_at) FROM event_batches WHERE evaluated_at IS NULL)),
                   extract(epoch FROM now() - (SELECT min(next_attempt_at) FROM deliveries
                                                WHERE status = 'pending' AND next_attempt_at <= now()))
            """
        ).fetchone()
    return (float(row[0] or 0), float(row[1] or 0)) if row else (0.0, 0.0)


def single_bodies(stack: Stack) -> Iterator[bytes]:
    """Mostly events that raise nothing; one in TRIGGER_SHARE completes a preloaded youth's 16 hours."""
    neutral = neutral_bodies(stack)
    for serial in itertools.count():
        if serial % TRIGGER_SHARE == 0 and serial // TRIGGER_SHARE < len(stack.youths):
            index = serial // TRIGGER_SHARE
            yield orjson.dumps(absence_body(stack, stack.youths[index], TRIGGER_WEEK, 4, f"load-trigger-{index}"))
        else:
            yield next(neutral)


IN_FLIGHT = 48  # per kind: httpx's async pool slows down badly with many queued requests


async def mixed(stack: Stack, rate: float, seconds: float, lags: list[tuple[float, float, float]]) -> list[Kind]:
    """The open-loop schedule: every request is due at its time whatever the answers before it did, and its
    latency counts from that time (a request that waits for a free connection is late, not excused)."""
    school = stack.headers("school")
    singles = single_bodies(stack)
    batches = (orjson.dumps([orjson.loads(next(singles)) for _ in range(100)]) for _ in itertools.count())
    plan: list[tuple[Kind, float, Callable[[], dict[str, Any]]]] = [
        (
            Kind("single event"),
            rate,
            lambda: {"method": "POST", "url": EVENTS, "content": next(singles), "headers": {**school, **SINGLE}},
        ),
        (
            Kind("batch of 100"),
            0.5,
            lambda: {"method": "POST", "url": EVENTS, "content": next(batches), "headers": {**school, **BATCH}},
        ),
        (
            Kind("signal list"),
            5.0,
            lambda: {"method": "GET", "url": "/signals/v1/signals", "headers": stack.headers("leerplicht")},
        ),
        (Kind("report"), 1.0, lambda: {"method": "GET", "url": REPORT, "headers": stack.headers("municipality")}),
    ]
    limits = httpx.Limits(max_connections=IN_FLIGHT, max_keepalive_connections=IN_FLIGHT)
    clients = [httpx.AsyncClient(base_url=stack.api_url, limits=limits, timeout=30) for _ in plan]
    slots = [asyncio.Semaphore(IN_FLIGHT) for _ in plan]
    start = time.perf_counter()

    async def fire(index: int, due: float) -> None:
        kind = plan[index][0]
        kind.sent += 1
        async with slots[index]:
            try:
                response = await clients[index].request(**plan[index][2]())
                ok = response.status_code < 300
            except httpx.HTTPError:
                ok = False
        answered = time.perf_counter()
        kind.latencies.append(answered - due)
        kind.last_answer = max(kind.last_answer, answered - start)
        kind.errors += not ok

    schedule = sorted(
        (n / per_second, index)
        for index, (_, per_second, _) in enumerate(plan)
        for n in range(int(per_second * seconds))
    )
    tasks = []
    next_sample = 0.0
    try:
        for offset, index in schedule:
            due = start + offset
            delay = due - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(fire(index, due)))
            if offset >= next_sample:
                lags.append((offset, *await asyncio.to_thread(lag, stack)))
                next_sample += 2.0
        await asyncio.gather(*tasks)
    finally:
        for client in clients:
            await client.aclose()
    return [kind for kind, _, _ in plan]


def render(machine: dict[str, str], args: argparse.Namespace, result: dict[str, Any]) -> str:
    header = ["kind", "sent", "sent per second", "answered per second", "p50 ms", "p95 ms", "p99 ms", "errors"]
    rows = [kind.row(args.seconds) for kind in result["kinds"]]
    lags = result["lags"]
    memory_rows = [
        [
            name,
            f"{before:,.1f}",
            f"{result['memory_after'][name]:,.1f}",
            f"{result['memory_after'][name] - before:+,.1f}",
        ]
        for name, before in result["memory_before"].items()
    ]
    worst_evaluation = max(sample[1] for sample in lags)
    worst_delivery = max(sample[2] for sample in lags)
    lines = [
        f"# Load test, {machine['date']}",
        "",
        f"Machine: {machine['nproc']} cores ({machine['cpu']}), {machine['os']}, Python {machine['python']}, "
        f"PostgreSQL {machine['postgres']}.",
        "Client, API, worker (2 processes), beat, Redis, sink and Postgres share it. Latency counts from the time "
        "a request was due on the schedule, so time spent waiting behind earlier requests is included.",
        f"Command: `python -m bench.load{' --quick' if args.quick else ''}`; {args.seconds:.0f} s of mixed traffic, "
        f"single events at the peak measured first ({result['peak']:,.0f} req/s, 8 clients, closed loop).",
        "",
        common.markdown_table(header, rows),
        "",
        "- worker lag during the run (oldest unevaluated request / oldest due delivery), sampled every 2 s: "
        f"max {worst_evaluation:,.1f} s / {worst_delivery:,.1f} s, at the end {lags[-1][1]:,.1f} s / "
        f"{lags[-1][2]:,.1f} s; the backlog drained {result['drain']:,.1f} s after the load stopped",
        f"- signals raised: {result['signals']:,}; deliveries succeeded: {result['delivered']:,} of "
        f"{result['deliveries']:,}",
        f"- load average (1 min) before {args.load_before:.2f}, after {os.getloadavg()[0]:.2f} "
        f"on {os.cpu_count()} cores",
        "",
        "Memory (resident, MiB; a worker counts its pool) after a 20 s warm-up and at the end:",
        "",
        common.markdown_table(["process", "after warm-up", "at the end", "change"], memory_rows),
        "",
    ]
    return "\n".join(lines)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.load", description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=180.0, help="length of the mixed traffic")
    parser.add_argument("--youths", type=int, default=3000, help="youths preloaded")
    parser.add_argument("--quick", action="store_true", help="30 s, 1,000 youths")
    args = parser.parse_args(argv)
    if args.quick:
        args.seconds, args.youths = 30.0, 1000
    args.load_before = os.getloadavg()[0]
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    with bench_stack(TODAY, DATABASE, beat=True) as stack:
        print(f"preloading {args.youths:,} youths ...", flush=True)
        preload_youths(stack, args.youths)
        url, headers = stack.api_url + EVENTS, {**stack.headers("school"), **SINGLE}
        peak, _ = asyncio.run(closed_loop(url, headers, neutral_bodies(stack), 8, 5.0))
        drain_outbox(stack)
        print(f"single-event peak {peak:,.0f} req/s; warming up 20 s at that rate ...", flush=True)
        warm: list[tuple[float, float, float]] = []
        asyncio.run(mixed(stack, peak, 20.0, warm))
        drain_outbox(stack)
        memory_before = memory(stack)
        print(f"mixed traffic for {args.seconds:.0f} s ...", flush=True)
        lags: list[tuple[float, float, float]] = []
        kinds = asyncio.run(mixed(stack, peak, args.seconds, lags))
        stopped = time.monotonic()
        drain_outbox(stack)
        drained = time.monotonic() - stopped
        time.sleep(2)
        memory_after = memory(stack)
        with psycopg.connect(common.admin_dsn(stack.database), autocommit=True) as conn:
            counts = conn.execute(
                "SELECT (SELECT count(*) FROM signals), (SELECT count(*) FROM deliveries),"
                " (SELECT count(*) FROM deliveries WHERE status = 'succeeded')"
            ).fetchone()
        machine = common.machine(stack.database)
    result = {
        "peak": peak,
        "kinds": kinds,
        "lags": lags,
        "drain": drained,
        "memory_before": memory_before,
        "memory_after": memory_after,
        "signals": counts[0] if counts else 0,
        "deliveries": counts[1] if counts else 0,
        "delivered": counts[2] if counts else 0,
    }
    text = render(machine, args, result)
    common.publish("load", text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
