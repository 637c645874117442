# SPDX-License-Identifier: EUPL-1.2
"""Webhook benchmarks (design.md, "Performance goals") on a simulated population, on 127.0.0.1, bounded in time.

The database is a clone of the population of `--youths` simulated youths (bench/population.py, built once and
reused), scanned on D before the subscription exists (bench/stack.py); the processes run with
`GLANSRIJK_TODAY` = D.

1. Dispatch: N pending deliveries sent by a real Celery worker (2 processes, the production path) to a local
   sink, beside a bare asyncio httpx sender posting the same N signed payloads to the same sink, in the same
   run. Goal: ours >= 25% of the bare sender's deliveries/s.
2. Event to first attempt: the single-event peak of intake measured first (the vo school's stored absence
   reports of the last weeks posted again unchanged: they raise nothing); then, at half of it, the vo school
   reports 16 unauthorised hours in the week after the population's last reported week for its pupils (of the
   population, leerplichtig or kwalificatieplichtig, no `absence-16h` yet): each completes 16 hours in 4
   lesweken, and the `absence-16h` signal goes to leerplicht by webhook. The time from the event's arrival
   (`events.received_at`) to the first delivery attempt about its youth (`delivery_attempts.at`). Goal: p95 <= 2 s.

    python -m bench.webhooks                     # 20,000 youths (about 3 minutes after the population)
    python -m bench.webhooks --youths 100000     # the population of 100,000
    python -m bench.webhooks --youths 3000 --quick

Figures go to bench/results/webhooks-<youths>-<date>.md.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import time
from typing import Any

import httpx
import orjson
import psycopg

from bench import common, population
from bench.http_load import closed_loop, open_loop
from bench.stack import (
    SCHOOL,
    Stack,
    bench_stack,
    drain_outbox,
    neutral_bodies,
    stage_deliveries,
    stored_reports,
    trigger_bodies,
    trigger_reports,
    wait_for,
)
from services.signals.webhooks.dispatch import CLAIM_LIMIT, SENDERS, sign

DATABASE = "glansrijk_bench_webhooks"
EVENTS_PATH = "/intake/v1/events"
SINGLE = {"Content-Type": "application/cloudevents+json"}
# httpx's async pool slows down with many connections: the baseline takes its best concurrency of these.
BARE_CONCURRENCIES = (1, 4, 16, 64)


async def bare_sender(url: str, secret: str, payloads: list[dict[str, Any]], concurrency: int) -> tuple[float, int]:
    """The baseline: the same payloads, signed the same way, posted by asyncio httpx at `concurrency`."""
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    queue = list(reversed(payloads))
    failures = 0
    async with httpx.AsyncClient(limits=limits, timeout=15) as client:

        async def worker() -> None:
            nonlocal failures
            while queue:
                payload = queue.pop()
                body = orjson.dumps(payload)
                timestamp = int(time.time())
                headers = {
                    "Content-Type": "application/cloudevents+json",
                    "webhook-id": payload["id"],
                    "webhook-timestamp": str(timestamp),
                    "webhook-signature": f"v1,{sign(secret, payload['id'], timestamp, body)}",
                }
                response = await client.post(url, content=body, headers=headers)
                failures += not 200 <= response.status_code < 300

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
    return len(payloads) / elapsed, failures


def run_dispatch(stack: Stack, count: int) -> dict[str, Any]:
    """Ours through the worker, then the bare sender, on the same sink and the same payloads."""
    payloads = stage_deliveries(stack, count)
    with psycopg.connect(common.admin_dsn(stack.database), autocommit=True) as conn:
        started = time.perf_counter()
        conn.execute("UPDATE deliveries SET next_attempt_at = now() WHERE status = 'pending'")
        for _ in range(2):  # one per worker process: both claim rounds until nothing is due
            stack.celery.send_task("signals.deliver_due")

        def done() -> bool:
            row = conn.execute("SELECT count(*) FROM deliveries WHERE status <> 'pending'").fetchone()
            return bool(row and row[0] >= count)

        wait_for(done, 300, "every staged delivery to be attempted")
        ours_seconds = time.perf_counter() - started
        row = conn.execute("SELECT count(*) FROM deliveries WHERE status = 'succeeded'").fetchone()
        succeeded = int(row[0]) if row else 0
    bare = {c: asyncio.run(bare_sender(stack.sink_url, stack.secret, payloads, c)) for c in BARE_CONCURRENCIES}
    best = max(bare, key=lambda c: bare[c][0])
    return {
        "ours": count / ours_seconds,
        "ours_succeeded": succeeded,
        "bare": bare[best][0],
        "bare_concurrency": best,
        "bare_runs": bare,
        "bare_failures": sum(failures for _, failures in bare.values()),
    }


def run_latency(stack: Stack, seconds: float, peak_seconds: float) -> dict[str, Any]:
    """The intake peak (single events that raise nothing), then triggers at half of it for `seconds`."""
    url = stack.api_url + EVENTS_PATH
    headers = {**stack.headers(SCHOOL), **SINGLE}
    neutral = stored_reports(stack, 20_000)
    peak, peak_errors = asyncio.run(closed_loop(url, headers, neutral_bodies(stack, neutral), 8, peak_seconds))
    # The peak left a queue of evaluations behind: let the worker finish it, or the triggers would wait in it.
    drain_outbox(stack)
    rate = peak / 2
    wanted = int(rate * seconds)
    reports = trigger_reports(stack, wanted)
    if len(reports) < wanted:
        print(
            f"  only {len(reports):,} pupils to trigger in {stack.population.youths:,} youths: "
            f"{len(reports) / seconds:,.0f} req/s instead of {rate:,.0f}",
            flush=True,
        )
    if not reports:
        raise RuntimeError("no pupil of the population can be triggered")
    triggers = trigger_bodies(stack, reports)
    latency = asyncio.run(open_loop(url, headers, iter(triggers), len(triggers) / seconds, seconds))
    query = """
        SELECT extract(epoch FROM (min(a.at) - e.received_at)) * 1000
        FROM events e
        JOIN deliveries d ON d.youth_id = e.youth_id
        JOIN delivery_attempts a ON a.delivery_id = d.id
        WHERE e.event_id LIKE 'trigger-%%'
        GROUP BY e.youth_id, e.received_at
    """
    missing = 0
    with psycopg.connect(common.admin_dsn(stack.database), autocommit=True) as conn:

        def attempted() -> bool:
            return len(conn.execute(query).fetchall()) >= len(triggers)

        try:
            wait_for(attempted, 120, "a delivery attempt for every triggered youth")
        except RuntimeError as timeout:
            print(f"  {timeout}", flush=True)
        delays = sorted(float(row[0]) for row in conn.execute(query).fetchall())
        missing = len(triggers) - len(delays)
    if not delays:
        raise RuntimeError("no triggered youth got a webhook")
    return {
        "peak": peak,
        "peak_errors": peak_errors,
        "neutral": len(neutral),
        "rate": len(triggers) / seconds,
        "half_peak": rate,
        "week": reports[0].week,
        "post": latency,
        "count": len(delays),
        "missing": missing,
        "p50": common.percentile(delays, 0.50),
        "p95": common.percentile(delays, 0.95),
        "p99": common.percentile(delays, 0.99),
        "max": delays[-1],
    }


def render(
    machine: dict[str, str],
    args: argparse.Namespace,
    pop: population.Population,
    stack: dict[str, float],
    dispatch: dict[str, Any],
    latency: dict[str, Any],
) -> str:
    ratio = dispatch["ours"] / dispatch["bare"]
    post = latency["post"]
    short = ""
    if latency["rate"] < latency["half_peak"] * 0.99:
        short = f", not half of peak ({latency['half_peak']:,.0f}): the population has no more pupils to trigger"
    rows = [
        [
            f"webhook dispatch, deliveries/s ({args.deliveries:,} to a local sink)",
            f"{dispatch['ours']:,.0f} (worker, 2 processes; {dispatch['ours_succeeded']:,.0f} succeeded)",
            f"bare asyncio httpx {dispatch['bare']:,.0f} ({dispatch['bare_concurrency']} concurrent, same signing)",
            f"{ratio:.2f}",
            ">= 0.25",
            "yes" if ratio >= 0.25 else "**no**",
        ],
        [
            f"event to first webhook attempt at half of peak ({latency['rate']:,.0f} req/s{short} for "
            f"{args.seconds:.0f} s, {latency['count']:,} youths)",
            f"p95 {latency['p95']:,.0f} ms",
            f"p50 {latency['p50']:,.0f} ms, p99 {latency['p99']:,.0f} ms, max {latency['max']:,.0f} ms",
            "",
            "p95 <= 2000 ms",
            "yes" if latency["p95"] <= 2000 else "**no**",
        ],
    ]
    facts = "\n".join(
        [
            f"- data: the simulated population of {pop.youths:,} youths (seed {pop.seed}, {pop.months} months "
            f"{pop.start} .. {pop.day}, loaded through the intake: {population.describe(pop)}), cloned; its daily "
            f"scan on D = {pop.day} raised {stack['scan_raised']:,.0f} signals in {stack['scan_seconds']:.1f} s "
            "before the subscription existed (no webhooks for them); `GLANSRIJK_TODAY` = D",
            f"- single-event intake peak in this run: {latency['peak']:,.0f} req/s (8 concurrent, "
            f"{latency['peak_errors']} errors; the vo school's {latency['neutral']:,} stored reports of the last "
            "four weeks posted again unchanged, raising nothing); the triggers were posted at half of it",
            f"- the triggers: the vo school reports 16 unauthorised hours in the week of {latency['week']} (the week "
            "after the population's last reported week) for one pupil each; "
            f"{latency['missing']:,} of them got no webhook within 120 s",
            f"- the triggering POSTs themselves: {post.percentiles()}, {post.errors} errors of {post.sent}",
            "- bare sender, deliveries/s by concurrency: "
            + ", ".join(f"{c}: {rate:,.0f}" for c, (rate, _) in dispatch["bare_runs"].items())
            + f"; failures {dispatch['bare_failures']:.0f}",
            f"- ours: `glansrijk worker --concurrency 2`, rounds of {CLAIM_LIMIT} claimed, {SENDERS} send threads per "
            "process, each round's outcomes recorded in one transaction",
            f"- load average (1 min) before {args.load_before:.2f}, after {os.getloadavg()[0]:.2f} "
            f"on {os.cpu_count()} cores: anything else running on the machine shows up here",
        ]
    )
    header = ["what", "ours", "baseline (same run)", "ratio", "goal", "met"]
    command = f"python -m bench.webhooks --youths {args.youths} --seed {args.seed}{' --quick' if args.quick else ''}"
    return (
        f"# Webhook benchmark, {pop.youths:,} simulated youths, {machine['date']}\n\n"
        f"Machine: {machine['nproc']} cores ({machine['cpu']}), {machine['os']}, Python {machine['python']}, "
        f"PostgreSQL {machine['postgres']}. Sink, worker, API, Redis and Postgres share the machine.\n"
        f"Command: `{command}`\n\n"
        f"{common.markdown_table(header, rows)}\n\n{facts}\n"
    )


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.webhooks", description=__doc__.splitlines()[0])
    population.add_arguments(parser)
    parser.add_argument("--deliveries", type=int, default=5000, help="deliveries for the dispatch run (default 5,000)")
    parser.add_argument("--seconds", type=float, default=20.0, help="length of the latency run (default 20)")
    parser.add_argument("--peak-seconds", type=float, default=5.0, help="length of the intake peak run (default 5)")
    parser.add_argument(
        "--quick", action="store_true", help="2,000 deliveries, a 10 s latency run; the same population"
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.deliveries, args.seconds = 2000, 10.0
    args.load_before = os.getloadavg()[0]
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    pop = population.from_arguments(args)
    with bench_stack(pop, DATABASE) as stack:
        scanned = {"scan_seconds": stack.scan_seconds, "scan_raised": stack.scan_raised}
        print(f"dispatch: {args.deliveries:,} deliveries, ours then bare ...", flush=True)
        dispatch = run_dispatch(stack, args.deliveries)
        print(f"  ours {dispatch['ours']:,.0f}/s, bare {dispatch['bare']:,.0f}/s", flush=True)
        print("latency: the intake peak, then the triggers at half of it ...", flush=True)
        latency = run_latency(stack, args.seconds, args.peak_seconds)
        print(f"  p95 {latency['p95']:,.0f} ms over {latency['count']:,} youths", flush=True)
        machine = common.machine(stack.database)
    text = render(machine, args, pop, scanned, dispatch, latency)
    common.publish(f"webhooks-{pop.youths}", text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
