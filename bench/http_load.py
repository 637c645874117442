# SPDX-License-Identifier: EUPL-1.2
"""HTTP load for the benchmarks: closed-loop peak throughput and open-loop (scheduled) latency, with httpx."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from dataclasses import dataclass

import httpx

from bench.common import percentile


async def closed_loop(
    url: str, headers: dict[str, str], bodies: Iterator[bytes], concurrency: int, seconds: float
) -> tuple[float, int]:
    """Peak throughput: `concurrency` clients, each posting as soon as its previous answer came back.

    Returns (requests/s, errors) over `seconds` after a short warm-up; anything but 202 counts as an error.
    """
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    warmup = min(2.0, seconds / 4)
    counted, errors = 0, 0
    async with httpx.AsyncClient(limits=limits, timeout=30) as client:
        begin = time.perf_counter()
        measure_from, until = begin + warmup, begin + warmup + seconds

        async def worker() -> None:
            nonlocal counted, errors
            while (start := time.perf_counter()) < until:
                try:
                    response = await client.post(url, content=next(bodies), headers=headers)
                    ok = response.status_code == 202
                except httpx.HTTPError:
                    ok = False
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


async def open_loop(
    url: str, headers: dict[str, str], bodies: Iterator[bytes], rate: float, seconds: float
) -> LatencyResult:
    """Requests fired on a fixed schedule whatever the answers do; latency counted from the scheduled time."""
    count = max(1, int(rate * seconds))
    latencies: list[float] = []
    errors = 0
    payloads = [next(bodies) for _ in range(count)]
    limits = httpx.Limits(max_connections=64, max_keepalive_connections=64)
    async with httpx.AsyncClient(limits=limits, timeout=30) as client:

        async def fire(scheduled: float, payload: bytes) -> None:
            nonlocal errors
            try:
                response = await client.post(url, content=payload, headers=headers)
                ok = response.status_code == 202
            except httpx.HTTPError:
                ok = False
            latencies.append(time.perf_counter() - scheduled)
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
    ordered = sorted(latencies)
    return LatencyResult(
        rate=rate,
        achieved=count / elapsed,
        sent=count,
        errors=errors,
        p50=percentile(ordered, 0.50) * 1000,
        p95=percentile(ordered, 0.95) * 1000,
        p99=percentile(ordered, 0.99) * 1000,
        max=ordered[-1] * 1000,
    )
