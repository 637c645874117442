# SPDX-License-Identifier: EUPL-1.2
"""HTTP load for the benchmarks: closed-loop peak throughput and open-loop (scheduled) latency, with aiohttp.

The load generator shares the machine's cores with the server and Postgres, so it must cost little. httpx
did not: measured on 2026-12-01 against the bare endpoint, it spent 2.3 ms of CPU per request at 8 concurrent
connections and 9 ms at 64, more than the server itself (1.4 ms), so that the client, not the server, set the
peak and, once latency rose, an open loop collapsed. aiohttp spends about 0.3 ms per request at either.
"""

from __future__ import annotations

import asyncio
import gc
import time
from collections.abc import Iterator
from dataclasses import dataclass

import aiohttp

from bench.common import percentile

OPEN_LOOP_CONNECTIONS = 64
TIMEOUT_SECONDS = 30
SLICE_SECONDS = 5.0


def _session(connections: int) -> aiohttp.ClientSession:
    """A client keeping up to `connections` connections alive (requests beyond them wait for one)."""
    connector = aiohttp.TCPConnector(limit=connections, limit_per_host=connections)
    return aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=TIMEOUT_SECONDS))


async def _post(client: aiohttp.ClientSession, url: str, body: bytes, headers: dict[str, str]) -> bool:
    """Whether the POST was answered 202 (the body read to the end, so that the connection is reused)."""
    try:
        async with client.post(url, data=body, headers=headers) as response:
            await response.read()
            return response.status == 202
    except (aiohttp.ClientError, TimeoutError):
        return False


def _set_heap_aside() -> None:
    """Everything this process holds before a loop, moved out of the garbage collector's reach.

    The benchmark holds its prepared data in the process that sends the load: at 100,000 youths, the
    population's events after the cutoff are some 725,000 objects, and a full collection walked them for 0.8 s.
    Meanwhile no request was sent, and an open loop counts each one from its scheduled time: on 2026-12-07 the
    p99 of ours at 100,000 youths was that pause (1.05 s, while Postgres committed nothing and waited for
    nobody). The server does the same at its start (services/core/http.py). Nothing is unfrozen afterwards:
    the process ends with the benchmark, and the next loop's collection then only walks what came after.
    """
    gc.collect()
    gc.freeze()


async def closed_loop(
    url: str, headers: dict[str, str], bodies: Iterator[bytes], concurrency: int, seconds: float
) -> tuple[float, int]:
    """Peak throughput: `concurrency` clients, each posting as soon as its previous answer came back.

    Returns (requests/s, errors) over `seconds` after a short warm-up; anything but 202 counts as an error.
    """
    warmup = min(2.0, seconds / 4)
    counted, errors = 0, 0
    _set_heap_aside()
    async with _session(concurrency) as client:
        begin = time.perf_counter()
        measure_from, until = begin + warmup, begin + warmup + seconds

        async def worker() -> None:
            nonlocal counted, errors
            while (start := time.perf_counter()) < until:
                ok = await _post(client, url, next(bodies), headers)
                if start >= measure_from:
                    counted += 1
                    errors += not ok

        await asyncio.gather(*(worker() for _ in range(concurrency)))
    return counted / seconds, errors


@dataclass
class LatencyResult:
    rate: float
    achieved: float
    sent: int
    errors: int
    p50: float
    p95: float
    p99: float
    max: float
    slice_p99: list[float]  # the p99 of the requests scheduled in each SLICE_SECONDS of the run, in order

    def percentiles(self) -> str:
        """e.g. "p50 4.1 ms, p95 9.8 ms, p99 17.4 ms, max 49 ms"."""
        return f"p50 {self.p50:.1f} ms, p95 {self.p95:.1f} ms, p99 {self.p99:.1f} ms, max {self.max:.0f} ms"

    def slices(self) -> str:
        """The slices' p99s, e.g. "12 / 14 / 480 / 31 ms": a tail confined to one slice is a moment of the
        machine's, one in every slice the endpoint's own."""
        return " / ".join(f"{p99:.0f}" for p99 in self.slice_p99) + " ms"


async def open_loop(
    url: str, headers: dict[str, str], bodies: Iterator[bytes], rate: float, seconds: float
) -> LatencyResult:
    """Requests fired on a fixed schedule whatever the answers do; latency counted from the scheduled time."""
    count = max(1, int(rate * seconds))
    latencies: list[tuple[float, float]] = []  # (scheduled, latency)
    errors = 0
    payloads = [next(bodies) for _ in range(count)]
    _set_heap_aside()
    async with _session(OPEN_LOOP_CONNECTIONS) as client:

        async def fire(scheduled: float, payload: bytes) -> None:
            nonlocal errors
            ok = await _post(client, url, payload, headers)
            latencies.append((scheduled, time.perf_counter() - scheduled))
            errors += not ok

        tasks = []
        start = time.perf_counter() + 0.05
        for index, payload in enumerate(payloads):
            scheduled = start + index / rate
            delay = scheduled - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(fire(scheduled, payload)))
        await asyncio.gather(*tasks)
        elapsed = time.perf_counter() - start
    ordered = sorted(latency for _, latency in latencies)
    by_slice: dict[int, list[float]] = {}
    for scheduled, latency in latencies:
        by_slice.setdefault(int((scheduled - start) // SLICE_SECONDS), []).append(latency)
    return LatencyResult(
        rate=rate,
        achieved=count / elapsed,
        sent=count,
        errors=errors,
        p50=percentile(ordered, 0.50) * 1000,
        p95=percentile(ordered, 0.95) * 1000,
        p99=percentile(ordered, 0.99) * 1000,
        max=ordered[-1] * 1000,
        slice_p99=[percentile(sorted(by_slice[index]), 0.99) * 1000 for index in sorted(by_slice)],
    )
