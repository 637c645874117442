# SPDX-License-Identifier: EUPL-1.2
"""The load test: sustained mixed traffic on a simulated population, the production shape on 127.0.0.1, bounded
in time.

The database is a clone of the population of `--youths` simulated youths (bench/population.py, built once and
reused) as it stood at its cutoff, six weeks before D, scanned on D before the subscription exists
(bench/stack.py); the processes run with `GLANSRIJK_TODAY` = D. The events posted are what the simulated
partners register after the cutoff (bench/intake_simulated.py): the first full batches of 100 of one partner
for the batches, the rest one by one in order of arrival, each by its own partner with its key (when they run
out they are posted again under new ids, as corrections).

First the single-event intake peak is measured (closed loop, 8 clients, as in bench.intake: the vo school's
events); then for `--seconds` (default 180) an open-loop schedule sends, at the same time:
- single events at that peak rate (whatever they raise is evaluated and delivered by webhook);
- a batch of 100 events every 2 s;
- signal reads (`GET /signals/v1/signals`, 5 a second);
- reporting reads (an indicator by district, 1 a second).
It reports throughput, p50/p95/p99 and errors per kind, the worker's lag (the oldest unevaluated request and the
oldest due delivery, sampled every 2 s), how long the backlog takes to drain afterwards, and the memory of each
process after a warm-up and at the end.

    python -m bench.load                     # 20,000 youths (about 5 minutes after the population)
    python -m bench.load --youths 100000     # the population of 100,000
    python -m bench.load --youths 3000 --quick

Figures go to bench/results/load-<youths>-<date>.md.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import time
from collections import Counter, deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import orjson
import psycopg

from bench import common, intake_simulated, population
from bench.http_load import closed_loop
from bench.stack import SCHOOL, Stack, bench_stack, drain_outbox

DATABASE = "glansrijk_bench_load"
EVENTS = "/intake/v1/events"
SINGLE = {"Content-Type": "application/cloudevents+json"}
BATCH = {"Content-Type": "application/cloudevents-batch+json"}
REPORT = "/reporting/v1/indicators/neet-rate/observations?period=month&by=district"
BATCH_SIZE = 100
BATCHES_PER_SECOND = 0.5
WARM_UP_SECONDS = 20.0
PEAK_SECONDS = 5.0


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
    for entry, _ in common.process_group(pid):
        try:
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


class Traffic:
    """The simulated partners' events after the cutoff, ready to post: full batches of one partner, and the rest
    one by one (partner, body) in order of arrival. Each runs out into a new round of the same events under
    new ids (`-r<round>`): the same facts again, as a correction."""

    def __init__(self, pop: population.Population, batches: int) -> None:
        full, left = intake_simulated.batches_after_cutoff(pop, BATCH_SIZE, batches)
        self.batches = [(b.partner, orjson.dumps(b.events)) for b in full]
        self.singles = [(e.partner, orjson.dumps(e.body)) for e in left]
        self.events = sum(len(b.events) for b in full) + len(left)
        self.kinds = Counter(str(e.body["type"]).removeprefix("nl.glansrijk.") for e in left)
        self.posted_singles = self.posted_batches = 0
        self._singles = self._cycle(self.singles, "posted_singles")
        self._batches = self._cycle(self.batches, "posted_batches")
        self._back: deque[tuple[str, bytes]] = deque()

    def _cycle(self, items: list[tuple[str, bytes]], counter: str) -> Iterator[tuple[str, bytes]]:
        for round_ in itertools.count():
            for partner, body in items:
                setattr(self, counter, getattr(self, counter) + 1)
                # Every id is "sim-<seed>-...": the only `"id":"sim-` in a body (the others are `...Id`).
                yield partner, body if round_ == 0 else body.replace(b'"id":"sim-', b'"id":"r%d-sim-' % round_)

    def single(self) -> tuple[str, bytes]:
        return self._back.popleft() if self._back else next(self._singles)

    def batch(self) -> tuple[str, bytes]:
        return next(self._batches)

    def of(self, partner: str) -> Iterator[bytes]:
        """One partner's single events (for the peak, posted with one key), taken from the shared stream: the
        others' met on the way are kept, in order, for `single`."""
        while True:
            handle, body = next(self._singles)
            if handle == partner:
                yield body
            else:
                self._back.append((handle, body))

    @property
    def cycled(self) -> bool:
        return self.posted_singles > len(self.singles) or self.posted_batches > len(self.batches)


IN_FLIGHT = 48  # per kind: httpx's async pool slows down badly with many queued requests


async def mixed(
    stack: Stack, traffic: Traffic, rate: float, seconds: float, lags: list[tuple[float, float, float]]
) -> list[Kind]:
    """The open-loop schedule: every request is due at its time whatever the answers before it did, and its
    latency counts from that time (a request that waits for a free connection is late, not excused)."""

    def post(taken: tuple[str, bytes], kind: dict[str, str]) -> dict[str, Any]:
        partner, body = taken
        return {"method": "POST", "url": EVENTS, "content": body, "headers": {**stack.headers(partner), **kind}}

    plan: list[tuple[Kind, float, Callable[[], dict[str, Any]]]] = [
        (Kind("single event"), rate, lambda: post(traffic.single(), SINGLE)),
        (Kind(f"batch of {BATCH_SIZE}"), BATCHES_PER_SECOND, lambda: post(traffic.batch(), BATCH)),
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
    pop: population.Population = result["population"]
    traffic: Traffic = result["traffic"]
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
    command = f"python -m bench.load --youths {args.youths} --seed {args.seed}{' --quick' if args.quick else ''}"
    kinds = ", ".join(f"{kind} {count:,}" for kind, count in traffic.kinds.most_common())
    again = (
        "they ran out, and were posted again under new ids (the same facts, as corrections)"
        if traffic.cycled
        else "none was posted twice"
    )
    lines = [
        f"# Load test, {pop.youths:,} simulated youths, {machine['date']}",
        "",
        f"Machine: {machine['nproc']} cores ({machine['cpu']}), {machine['os']}, Python {machine['python']}, "
        f"PostgreSQL {machine['postgres']}.",
        "Client, API, worker (2 processes), beat, Redis, sink and Postgres share it. Latency counts from the time "
        "a request was due on the schedule, so time spent waiting behind earlier requests is included.",
        f"Command: `{command}`; {args.seconds:.0f} s of mixed traffic, single events at the peak measured first "
        f"({result['peak']:,.0f} req/s, 8 clients, closed loop, the vo school's events).",
        "",
        f"Data: the simulated population of {pop.youths:,} youths (seed {pop.seed}, {pop.months} months "
        f"{pop.start} .. {pop.day}, loaded through the intake: {population.describe(pop)}), cloned as it stood "
        f"at its cutoff {pop.cutoff:%Y-%m-%d}; its daily scan on D = {pop.day} raised {result['scan_raised']:,} "
        f"signals in {result['scan_seconds']:.1f} s before the subscription existed; `GLANSRIJK_TODAY` = D. "
        f"Posted: the partners' {traffic.events:,} simulated events after the cutoff, {len(traffic.batches):,} "
        f"full batches of {BATCH_SIZE} of one partner and {len(traffic.singles):,} single events ({kinds}), each "
        f"by its own partner; {traffic.posted_singles:,} single events and {traffic.posted_batches:,} batches "
        f"posted in all (peak, warm-up, run): {again}.",
        "",
        common.markdown_table(header, rows),
        "",
        "- worker lag during the run (oldest unevaluated request / oldest due delivery), sampled every 2 s: "
        f"max {worst_evaluation:,.1f} s / {worst_delivery:,.1f} s, at the end {lags[-1][1]:,.1f} s / "
        f"{lags[-1][2]:,.1f} s; the backlog drained {result['drain']:,.1f} s after the load stopped",
        f"- signals raised by the events (peak, warm-up and run): {result['signals']:,}; deliveries succeeded: "
        f"{result['delivered']:,} of {result['deliveries']:,}",
        f"- load average (1 min) before {args.load_before:.2f}, after {os.getloadavg()[0]:.2f} "
        f"on {os.cpu_count()} cores",
        "",
        f"Memory (resident, MiB; a worker counts its pool) after a {WARM_UP_SECONDS:.0f} s warm-up and at the end:",
        "",
        common.markdown_table(["process", "after warm-up", "at the end", "change"], memory_rows),
        "",
    ]
    return "\n".join(lines)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.load", description=__doc__.splitlines()[0])
    population.add_arguments(parser)
    parser.add_argument("--seconds", type=float, default=180.0, help="length of the mixed traffic (default 180)")
    parser.add_argument("--quick", action="store_true", help="30 s of mixed traffic; the same population")
    args = parser.parse_args(argv)
    if args.quick:
        args.seconds = 30.0
    args.load_before = os.getloadavg()[0]
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    pop = population.from_arguments(args)
    batches = int(BATCHES_PER_SECOND * (WARM_UP_SECONDS + args.seconds)) + 1
    print(f"the partners' events after the cutoff ({batches} batches of {BATCH_SIZE}, the rest single) ...", flush=True)
    traffic = Traffic(pop, batches)
    print(f"  {traffic.events:,} events: {len(traffic.singles):,} single", flush=True)
    with bench_stack(pop, DATABASE, held=True, beat=True) as stack:
        url, headers = stack.api_url + EVENTS, {**stack.headers(SCHOOL), **SINGLE}
        peak, _ = asyncio.run(closed_loop(url, headers, traffic.of(SCHOOL), 8, PEAK_SECONDS))
        drain_outbox(stack)
        print(f"single-event peak {peak:,.0f} req/s; warming up {WARM_UP_SECONDS:.0f} s at that rate ...", flush=True)
        warm: list[tuple[float, float, float]] = []
        asyncio.run(mixed(stack, traffic, peak, WARM_UP_SECONDS, warm))
        drain_outbox(stack)
        memory_before = memory(stack)
        print(f"mixed traffic for {args.seconds:.0f} s ...", flush=True)
        lags: list[tuple[float, float, float]] = []
        kinds = asyncio.run(mixed(stack, traffic, peak, args.seconds, lags))
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
        scanned = (stack.scan_seconds, stack.scan_raised)
    result = {
        "population": pop,
        "traffic": traffic,
        "scan_seconds": scanned[0],
        "scan_raised": scanned[1],
        "peak": peak,
        "kinds": kinds,
        "lags": lags,
        "drain": drained,
        "memory_before": memory_before,
        "memory_after": memory_after,
        "signals": counts[0] - scanned[1] if counts else 0,
        "deliveries": counts[1] if counts else 0,
        "delivered": counts[2] if counts else 0,
    }
    text = render(machine, args, result)
    common.publish(f"load-{pop.youths}", text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
