# SPDX-License-Identifier: EUPL-1.2
"""Intake performance goals, each against a baseline measured in the same run on the same machine.

1. Batched intake (batches of 1000 events over HTTP) vs a raw psycopg COPY of the same rows: the simulated
   partners' next batches into a database holding a simulated population (bench/intake_simulated.py, the
   goal), then a first load of synthetic events about youths never seen before (bench/intake_events.py).
2. Single-event POST, each endpoint's peak over a few concurrencies, vs a bare FastAPI endpoint doing one INSERT
   (bench/bare_app.py), both served by one uvicorn process per core (--server-workers); then our endpoint
   open-loop at 70% of its peak: p50/p95/p99 latency, the bare endpoint in the same open loop (what the machine
   gives any endpoint at that load) and, as a control, the bare endpoint at 70% of its own peak (whether the
   machine lets any endpoint meet the goal's terms).
3. Where the batched path spends its time (phases in-process, cProfile).

    python -m bench.intake                    # 20,000 simulated youths, a few minutes (after the population)
    python -m bench.intake --youths 100000    # the population of 100,000 (built once: about 15 minutes)
    python -m bench.intake --quick            # fewer batches, shorter runs
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import psycopg
from psycopg.types.json import Jsonb

from bench import common, intake_simulated, population
from bench.http_load import SLICE_SECONDS, LatencyResult, closed_loop, open_loop
from bench.intake_events import (
    MIX,
    PREFIX,
    BenchYouth,
    EventFactory,
    birth_date,
    body,
    event_time,
    stored_data,
    youth_pool,
)
from bench.intake_floor import measure_floor
from bench.intake_profile import ProfileReport, profile_batched

BRINS = ["01AB", "02CD", "03EF", "04GH"]
OIN = "00000001001234567000"
SOURCE = f"urn:nld:oin:{OIN}:systeem:bench"
EVENTS_PATH = "/intake/v1/events"
COPY_SQL = (
    "COPY events (source, event_id, type, time, partner_id, youth_id, batch_id, received_at, data, birth_date,"
    " retracted) FROM STDIN"
)
GOAL_BATCH = 0.40
GOAL_SINGLE = 0.50
GOAL_P99_MS = 50.0
LOAD_FRACTION = 0.70
PROFILED_BATCHES = 2  # under cProfile


@dataclass
class Setup:
    partner_id: uuid.UUID
    key: str
    copy_batch_id: int
    copy_youths: dict[str, uuid.UUID]  # youth number -> a pre-created youth for the COPY and bare rows


def prepare_first_load(pool: list[BenchYouth]) -> Setup:
    """In the bench database: one school+municipality partner of its own with a key, and youths for the
    baselines (the first-load run's events are about youths no partner posted before)."""
    from services.cli import admin

    # A school (the simulated municipality is the one ketenregisseur): its mix without BRP registrations.
    partner_id = admin.add_partner(name="Bench school", roles=["school"], oin=OIN, kvk=None, brins=BRINS)
    _key_id, key = admin.create_key(partner_id, ["events:write"], None)
    copy_youths = {youth.number: uuid.uuid4() for youth in pool}
    now = datetime.now(UTC)
    with psycopg.connect(common.bench_dsn()) as conn, conn.cursor() as cur:
        with cur.copy("COPY youths (id, pseudonym, identifier_kind, created_at) FROM STDIN") as copy:
            for youth_id in copy_youths.values():
                copy.write_row((youth_id, uuid.uuid4().bytes * 2, "bsn", now))
        row = cur.execute(
            "INSERT INTO event_batches (partner_id, received_at, event_count, raise_signals, evaluated_at)"
            " VALUES (%s, %s, 0, false, %s) RETURNING id",
            (partner_id, now, now),
        ).fetchone()
        assert row is not None
    return Setup(partner_id, key, int(row[0]), copy_youths)


def copy_rows(events: list[dict[str, Any]], setup: Setup, pool_index: dict[str, BenchYouth]) -> list[tuple[Any, ...]]:
    """The rows our intake stores for these events (other ids, baseline youths), ready for COPY."""
    received = datetime.now(UTC)
    rows = []
    for event in events:
        person = event["data"]["person"]
        number = person.get("bsn") or person["onderwijsnummer"]
        rows.append(
            (
                event["source"],
                event["id"] + "~copy",
                event["type"].removeprefix(PREFIX),
                event_time(event),
                setup.partner_id,
                setup.copy_youths[pool_index[number].number],
                setup.copy_batch_id,
                received,
                Jsonb(stored_data(event)),
                birth_date(event),
                False,
            )
        )
    return rows


def copy_batch(conn: psycopg.Connection[Any], rows: list[tuple[Any, ...]]) -> float:
    start = time.perf_counter()
    with conn.cursor() as cur, cur.copy(COPY_SQL) as copy:
        for row in rows:
            copy.write_row(row)
    conn.commit()
    return time.perf_counter() - start


@dataclass
class BatchResult:
    ours_eps: float
    copy_eps: float
    ours_ms: float
    copy_ms: float
    events: int
    batches: int
    by_order: str  # the medians apart by which of the two wrote first


@dataclass
class PreparedBatch:
    key: str  # the posting partner's API key
    payload: bytes
    size: int
    copy_rows: list[tuple[Any, ...]]  # the same rows, for the COPY baseline


def first_load_batches(setup: Setup, pool: list[BenchYouth], count: int, size: int) -> list[PreparedBatch]:
    school_mix = {kind: weight for kind, weight in MIX.items() if kind != "person.registered"}
    factory = EventFactory(SOURCE, BRINS, pool, seed=1, prefix="b", mix=school_mix)
    pool_index = {youth.number: youth for youth in pool}
    batches = []
    for _ in range(count):
        events = factory.batch(size)
        batches.append(PreparedBatch(setup.key, body(events), size, copy_rows(events, setup, pool_index)))
    return batches


def run_batched(base_url: str, batches: list[PreparedBatch], warmup: int = 2) -> BatchResult:
    ours: list[float] = []
    copies: list[float] = []
    with httpx.Client(base_url=base_url, timeout=120) as client, psycopg.connect(common.bench_dsn()) as conn:

        def post(number: int, batch: PreparedBatch) -> float:
            headers = {"Authorization": f"Bearer {batch.key}", "Content-Type": "application/cloudevents-batch+json"}
            start = time.perf_counter()
            response = client.post(EVENTS_PATH, content=batch.payload, headers=headers)
            elapsed = time.perf_counter() - start
            if response.status_code != 202 or response.json()["accepted"] != batch.size:
                raise RuntimeError(f"batch {number}: {response.status_code} {response.text[:500]}")
            return elapsed

        for number, batch in enumerate(batches):
            # Interleaved, so both see the same table size, checkpoints and autovacuum; in turns first, because
            # the second writer of the same youths finds the index pages the first one read into the cache and
            # wrote to the WAL whole (the first change of a page after a checkpoint).
            if number % 2:
                copy_elapsed = copy_batch(conn, batch.copy_rows)
                elapsed = post(number, batch)
            else:
                elapsed = post(number, batch)
                copy_elapsed = copy_batch(conn, batch.copy_rows)
            if number >= warmup:
                ours.append(elapsed)
                copies.append(copy_elapsed)
    total = sum(batch.size for batch in batches[warmup:])
    return BatchResult(
        ours_eps=total / sum(ours),
        copy_eps=total / sum(copies),
        ours_ms=statistics.median(ours) * 1000,
        copy_ms=statistics.median(copies) * 1000,
        events=total,
        batches=len(batches) - warmup,
        by_order=_by_order(ours, copies, warmup),
    )


def _by_order(ours: list[float], copies: list[float], warmup: int) -> str:
    """The median ms/batch of both, apart for the batches where ours went first and where COPY did."""
    first = [(o, c) for n, (o, c) in enumerate(zip(ours, copies, strict=True), warmup) if n % 2 == 0]
    second = [(o, c) for n, (o, c) in enumerate(zip(ours, copies, strict=True), warmup) if n % 2]

    def medians(pairs: list[tuple[float, float]]) -> str:
        if not pairs:
            return "none"
        return (
            f"ours {statistics.median(o for o, _ in pairs) * 1000:.0f} ms, "
            f"COPY {statistics.median(c for _, c in pairs) * 1000:.0f} ms"
        )

    return f"ours first: {medians(first)}; COPY first: {medians(second)}"


def single_bodies(pool: list[BenchYouth], prefix: str, seed: int) -> Iterator[bytes]:
    factory = EventFactory(SOURCE, BRINS, pool, seed=seed, prefix=prefix)
    while True:
        yield body(factory.event())


def _ratio(ours: float, baseline: float) -> str:
    return f"{ours / baseline:.2f}" if baseline else "n/a"


def _met(ok: bool) -> str:
    return "yes" if ok else "**no**"


def render(
    machine: dict[str, str],
    args: argparse.Namespace,
    batches: tuple[BatchResult, BatchResult],
    single: tuple[float, int, float, int],
    latencies: tuple[LatencyResult, LatencyResult],
    report: ProfileReport,
    single_report: ProfileReport,
    checks: list[str],
) -> str:
    ours_rps, ours_err, bare_rps, bare_err = single
    batch, first = batches
    latency, control = latencies
    rows = [
        [
            f"batched intake, events/s: the simulated partners' next {batch.batches} batches of {args.events} "
            "(over HTTP, sequential)",
            f"{batch.ours_eps:,.0f} ({batch.ours_ms:.0f} ms/batch)",
            f"COPY {batch.copy_eps:,.0f} ({batch.copy_ms:.0f} ms/batch)",
            _ratio(batch.ours_eps, batch.copy_eps),
            f">= {GOAL_BATCH:.2f}",
            _met(batch.ours_eps >= GOAL_BATCH * batch.copy_eps),
        ],
        [
            f"batched intake, events/s, first load: {first.batches} batches of {args.events} events about youths "
            "never posted before (a youth created for almost every event)",
            f"{first.ours_eps:,.0f} ({first.ours_ms:.0f} ms/batch)",
            f"COPY {first.copy_eps:,.0f} ({first.copy_ms:.0f} ms/batch)",
            _ratio(first.ours_eps, first.copy_eps),
            "",
            "",
        ],
        [
            f"single-event POST, req/s (closed loop, {_concurrency_label(args.concurrency)} concurrent, the best; "
            f"{args.peak_seconds:.0f} s per run)",
            f"{ours_rps:,.0f} ({ours_err} errors)",
            f"bare {bare_rps:,.0f} ({bare_err} errors)",
            _ratio(ours_rps, bare_rps),
            f">= {GOAL_SINGLE:.2f}",
            _met(ours_rps >= GOAL_SINGLE * bare_rps and ours_err == 0),
        ],
        [
            f"single-event p99 at {LOAD_FRACTION:.0%} of peak (the peak runs' median; "
            f"{latency.rate:,.0f} req/s open loop, {args.seconds:.0f} s, {latency.sent} requests, "
            f"{latency.errors} errors)",
            f"p99 {latency.p99:.1f} ms",
            f"p50 {latency.p50:.1f} ms, p95 {latency.p95:.1f} ms, max {latency.max:.0f} ms",
            "",
            f"<= {GOAL_P99_MS:.0f} ms",
            _met(latency.p99 <= GOAL_P99_MS and latency.errors == 0),
        ],
        [
            f"control: the bare endpoint's p99 at {LOAD_FRACTION:.0%} of its own peak ({control.rate:,.0f} req/s "
            f"open loop, {args.seconds:.0f} s, {control.errors} errors): the goal's terms applied to the baseline",
            "",
            control.percentiles(),
            "",
            f"<= {GOAL_P99_MS:.0f} ms",
            _met(control.p99 <= GOAL_P99_MS and control.errors == 0),
        ],
    ]
    lines = [
        f"# Intake benchmark, {machine['date']}",
        "",
        f"Machine: {machine['nproc']} cores ({machine['cpu']}), {machine['os']}, Python {machine['python']}, "
        f"PostgreSQL {machine['postgres']}. Client, uvicorn ({_processes(args.server_workers)}) and Postgres "
        "share the machine.",
        f"Command: `python -m bench.intake {' '.join(sys.argv[1:])}`".rstrip(),
        "",
        f"The database holds a simulated population of {args.youths:,} youths (seed {args.seed}) as it stood "
        f"{population.HELD_DAYS // 7} weeks before the evaluation date; the batches and the single events are "
        "what the simulated partners post next, in order of arrival (bench/intake_simulated.py). The goal's row "
        "is that steady state; the first load (synthetic events, bench/intake_events.py) shows the cost of "
        "creating a youth per event.",
        "",
        common.markdown_table(["what", "ours", "baseline (same run)", "ratio", "goal", "met"], rows),
        "",
        *(f"- {check}" for check in checks),
        "",
        f"## Where the batched path spends its time (simulated batches in-process, {args.events} events, median of "
        f"{args.profile_batches} batches, {report.statements_per_batch:.0f} SQL statements per batch, the savepoint "
        "and the pipelined writes included)",
        "",
        f"In-process total {report.total_ms:.0f} ms/batch vs {batch.ours_ms:.0f} ms over HTTP "
        "(the rest: auth, body read, uvicorn/starlette, client).",
        "",
        common.markdown_table(["phase", "ms/batch", "share", "calls/batch"], report.phases),
        "",
        "cProfile (it inflates call-heavy pure-Python code such as the elfproef; the phase table above ran "
        "without it), top functions by own time (per batch):",
        "",
        common.markdown_table(["own ms", "cum ms", "calls", "function"], report.top_tottime),
        "",
        "cProfile, `services/` functions by cumulative time (per batch):",
        "",
        common.markdown_table(["own ms", "cum ms", "calls", "function"], report.top_services),
        "",
        f"## The single-event path in-process (simulated events, median of {args.profile_singles} requests, the "
        "way a small request takes over HTTP: the key and the look-up outside a transaction, then the writes in one "
        f"statement, ADR 0038 and 0039; {single_report.statements_per_batch:.0f} SQL statements per request "
        "in two round trips; the pool pings only a connection idle for over 5 s or with activity on its socket; "
        "the bare endpoint sends one INSERT after its pool's pre-ping)",
        "",
        common.markdown_table(["phase", "ms/request", "share", "calls/request"], single_report.phases),
        "",
    ]
    return "\n".join(lines)


def _processes(count: int) -> str:
    return f"{'one process' if count == 1 else f'{count} processes'} each for ours and the bare endpoint"


def _concurrencies(value: str) -> tuple[int, ...]:
    try:
        counts = tuple(int(part) for part in value.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError("a comma-separated list of client counts, e.g. 8,16") from None
    if not counts or min(counts) < 1:
        raise argparse.ArgumentTypeError("client counts are at least 1")
    return counts


def _concurrency_label(counts: tuple[int, ...]) -> str:
    return " or ".join(str(count) for count in counts)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.intake", description=__doc__.split("\n")[0])
    population.add_arguments(parser)
    parser.add_argument("--events", type=int, default=1000, help="events per batch (at most 1000)")
    parser.add_argument("--batches", type=int, default=24, help="measured batches (after 2 warm-up batches)")
    parser.add_argument("--first-load-batches", type=int, default=10, help="measured first-load batches")
    parser.add_argument("--seconds", type=float, default=20, help="length of the open-loop latency run")
    parser.add_argument("--peak-seconds", type=float, default=15, help="length of each closed-loop peak run")
    parser.add_argument(
        "--concurrency",
        type=_concurrencies,
        default=(8, 16),
        help="concurrent clients of the peak runs, comma-separated (each endpoint's peak is its best of them)",
    )
    parser.add_argument(
        "--rounds", type=int, default=3, help="rounds of the two peak runs (best one counts; the median sets the load)"
    )
    parser.add_argument(
        "--server-workers",
        type=int,
        default=len(os.sched_getaffinity(0)),
        help="uvicorn processes of ours and of the bare endpoint (default: one per core this process may use, as "
        "docs/operations.md advises)",
    )
    parser.add_argument("--profile-batches", type=int, default=6, help="batches timed in-process")
    parser.add_argument("--profile-singles", type=int, default=300, help="single events timed in-process")
    parser.add_argument("--quick", action="store_true", help="about one minute: fewer batches, shorter runs")
    args = parser.parse_args(argv)
    if args.quick:
        args.batches, args.first_load_batches, args.seconds, args.peak_seconds, args.rounds = 8, 4, 8, 5, 1
        args.profile_batches, args.profile_singles = 4, 100
    if args.server_workers < 1:
        parser.error("--server-workers must be at least 1")
    if not 1 <= args.events <= 1000:
        parser.error("--events must lie between 1 and 1000")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.getLogger("services").setLevel(logging.ERROR)  # the development-keys warning
    load_before = os.getloadavg()
    warmup = 2
    pop = population.from_arguments(args)
    print(f"the bench database as at the cutoff {pop.cutoff:%Y-%m-%d} ...", flush=True)
    sim = intake_simulated.prepare(pop)
    profiled = 1 + args.profile_batches + PROFILED_BATCHES
    sim_batches, left = intake_simulated.batches_after_cutoff(pop, args.events, warmup + args.batches + profiled)
    measured, for_profile = sim_batches[: warmup + args.batches], sim_batches[warmup + args.batches :]
    known = intake_simulated.youth_ids([e for b in measured for e in b.events])
    steady = [
        PreparedBatch(sim.keys[b.partner], body(b.events), len(b.events), intake_simulated.copy_rows(b, sim, known))
        for b in measured
    ]
    pool = youth_pool(20_000, seed_base=1)
    first = prepare_first_load(pool)
    first_batches = first_load_batches(first, pool, warmup + args.first_load_batches, args.events)
    env = {"GLANSRIJK_DATABASE_URL": common.bench_url()}
    # One process per core, as production runs the intake (docs/operations.md, ADR 0037): one process alone,
    # loaded in an open loop at 70% of its closed-loop peak, ran its own core full and its queue over.
    workers = args.server_workers
    single_partner = intake_simulated.SINGLE_PARTNER
    bare_env = {
        "BENCH_BARE_DATABASE_URL": common.bench_url(),
        "BENCH_BARE_PARTNER_ID": str(sim.partner_ids[single_partner]),
        "BENCH_BARE_YOUTH_ID": str(next(iter(known.values()))),
        "BENCH_BARE_BATCH_ID": str(sim.copy_batch_id),
    }
    headers = {"Authorization": f"Bearer {sim.keys[single_partner]}", "Content-Type": "application/cloudevents+json"}
    with (
        common.uvicorn_server("intake", "services.app:intake", "/intake/v1/health", env, workers=workers) as ours,
        common.uvicorn_server("bare", "bench.bare_app:create_app", "/health", bare_env, workers=workers) as bare,
    ):
        print(f"batched, simulated: {args.batches} x {args.events} events, ours and COPY interleaved ...", flush=True)
        batch = run_batched(ours.base_url, steady, warmup)
        print(f"  ours {batch.ours_eps:,.0f} events/s, COPY {batch.copy_eps:,.0f} events/s", flush=True)
        print(f"batched, first load: {args.first_load_batches} x {args.events} events ...", flush=True)
        first_batch = run_batched(ours.base_url, first_batches, warmup)
        print(f"  ours {first_batch.ours_eps:,.0f} events/s, COPY {first_batch.copy_eps:,.0f} events/s", flush=True)
        print(
            f"single-event peak, {_concurrency_label(args.concurrency)} concurrent, {args.peak_seconds:.0f} s per "
            f"run, {args.rounds} round(s) of bare then ours ...",
            flush=True,
        )
        ours_bodies = (body(e) for e in intake_simulated.single_events(left, single_partner, "s"))
        bare_bodies = (body(e) for e in intake_simulated.single_events(left, single_partner, "b"))
        # Each round's peak is an endpoint's best over the concurrencies: at 8 clients ours was still short of
        # its peak (on 2026-12-02, 8 gave 575 req/s and 16 gave 714), and 70% of too low a peak eases the goal.
        bare_runs: list[tuple[float, int]] = []
        ours_runs: list[tuple[float, int]] = []
        peak_lines: list[str] = []
        bare_url = bare.base_url + "/events"
        ours_url = ours.base_url + EVENTS_PATH
        for _ in range(args.rounds):
            round_bare: list[tuple[float, int]] = []
            round_ours: list[tuple[float, int]] = []
            for clients in args.concurrency:
                round_bare.append(asyncio.run(closed_loop(bare_url, headers, bare_bodies, clients, args.peak_seconds)))
                round_ours.append(asyncio.run(closed_loop(ours_url, headers, ours_bodies, clients, args.peak_seconds)))
                line = f"{clients} clients {round_ours[-1][0]:,.0f} / {round_bare[-1][0]:,.0f}"
                peak_lines.append(line)
                print(f"  {line} req/s (ours / bare)", flush=True)
            bare_runs.append(max(round_bare))
            ours_runs.append(max(round_ours))
        # Best of the rounds: other load on a shared machine only ever slows a run down.
        ours_rps, ours_err = max(ours_runs)
        bare_rps, bare_err = max(bare_runs)
        # The open loop's load from the median of the rounds: on a shared machine the peak moves by a third from
        # run to run, and 70% of the best run loaded it beyond what it sustained in a slower moment.
        rate = LOAD_FRACTION * statistics.median(rps for rps, _ in ours_runs)
        print(f"open loop at {rate:,.0f} req/s for {args.seconds:.0f} s, ours then bare ...", flush=True)
        ours_run = latency_run(ours, EVENTS_PATH, headers, ours_bodies, rate, args.seconds)
        print(f"  ours {ours_run.latency.percentiles()}; {ours_run.load()}", flush=True)
        bare_run = latency_run(bare, "/events", headers, bare_bodies, rate, args.seconds)
        print(f"  bare {bare_run.latency.percentiles()}; {bare_run.load()}", flush=True)
        # The control: the goal's own terms applied to the baseline. Whether any endpoint on this machine, at 70%
        # of its own peak, keeps its p99 under the goal tells the machine's part of the tail from ours.
        bare_rate = LOAD_FRACTION * statistics.median(rps for rps, _ in bare_runs)
        print(f"control: bare alone at {bare_rate:,.0f} req/s ({LOAD_FRACTION:.0%} of its own peak) ...", flush=True)
        control_run = latency_run(bare, "/events", headers, bare_bodies, bare_rate, args.seconds)
        print(f"  bare {control_run.latency.percentiles()}; {control_run.load()}", flush=True)
    checks = [population.describe(pop), *verify(batch, first_batch)]
    checks.append(
        f"the bare endpoint in the same open loop ({rate:,.0f} req/s, {args.seconds:.0f} s): "
        f"{bare_run.latency.percentiles()}, {bare_run.latency.errors} errors: the part of the tail the machine "
        "(client, Postgres' commits) gives any endpoint at this load"
    )
    checks.append(
        f"p99 per {SLICE_SECONDS:.0f} s of the open loops, in order: ours {ours_run.latency.slices()}; bare at the "
        f"same load {bare_run.latency.slices()}; bare at {LOAD_FRACTION:.0%} of its own peak "
        f"{control_run.latency.slices()}"
    )
    checks.append(
        f"checkpoints during the open loops (each started right after one): ours {ours_run.checkpoints}, bare "
        f"{bare_run.checkpoints}"
    )
    checks.append(
        f"CPU during the open loops (/proc): ours: {ours_run.load()}; bare at the same load: {bare_run.load()}; "
        f"bare at {LOAD_FRACTION:.0%} of its own peak: {control_run.load()}"
    )
    checks.append(floor_line())
    checks.append(
        f"peak runs in order, {args.rounds} round(s) (req/s, ours / bare): "
        + ", ".join(peak_lines)
        + "; a round's peak is the best of its runs, the table takes the best round, the open loops the median one"
    )
    print("profiling the batched and the single-event path in-process ...", flush=True)
    pstats_path = Path(tempfile.gettempdir()) / "glansrijk-bench-intake.pstats"
    requests = [(sim.partner_ids[b.partner], body(b.events)) for b in for_profile]
    report = profile_batched(requests, 1, PROFILED_BATCHES, pstats_path)
    singles = intake_simulated.single_events(left, single_partner, "p")
    single_requests = [
        (sim.partner_ids[single_partner], body([next(singles)])) for _ in range(30 + args.profile_singles)
    ]
    single_report = profile_batched(single_requests, 30, 0, None, key=sim.keys[single_partner])
    load_after = os.getloadavg()
    checks.append(
        f"load average (1 min) before {load_before[0]:.2f}, after {load_after[0]:.2f} on {os.cpu_count()} cores: "
        "anything else running on the machine shows up here"
    )
    text = render(
        common.machine(),
        args,
        (batch, first_batch),
        (ours_rps, ours_err, bare_rps, bare_err),
        (ours_run.latency, control_run.latency),
        report,
        single_report,
        checks,
    )
    path = common.write_result(f"intake-{args.youths}", text)
    print()
    print(text)
    print(f"written to {path.relative_to(common.ROOT)}; cProfile data in {pstats_path}")
    return 0


@dataclass
class OpenLoopRun:
    latency: LatencyResult
    checkpoints: int  # checkpoints that began during the run
    busy: float  # the machine's busy share of its CPU time during the run
    server_ms: float  # CPU time of the server's processes per request sent

    def load(self) -> str:
        return f"machine {self.busy:.0%} busy, server {self.server_ms:.2f} ms of CPU per request"


def latency_run(
    server: common.Server, path: str, headers: dict[str, str], bodies: Iterator[bytes], rate: float, seconds: float
) -> OpenLoopRun:
    """The open loop, started right after a checkpoint (the runs before wrote enough to have one under way, and
    its writing and syncing would fall on this run alone), with the checkpoints that began during it and the CPU
    it took: how close the machine came to full tells a queue that ran over from an endpoint's own tail."""
    with psycopg.connect(common.bench_dsn(), autocommit=True) as conn:
        conn.execute("CHECKPOINT")
        before = _checkpoints(conn)
        machine_before, server_before = common.machine_ticks(), common.group_cpu_seconds(server.process.pid)
        latency = asyncio.run(open_loop(server.base_url + path, headers, bodies, rate, seconds))
        machine_after, server_after = common.machine_ticks(), common.group_cpu_seconds(server.process.pid)
        checkpoints = _checkpoints(conn) - before
    all_ticks, idle_ticks = (after - prior for after, prior in zip(machine_after, machine_before, strict=True))
    busy = 1 - idle_ticks / all_ticks if all_ticks else float("nan")
    return OpenLoopRun(latency, checkpoints, busy, (server_after - server_before) * 1000 / latency.sent)


def _checkpoints(conn: psycopg.Connection[Any]) -> int:
    row = conn.execute("SELECT checkpoints_timed + checkpoints_req FROM pg_stat_bgwriter").fetchone()
    assert row is not None
    return int(row[0])


def floor_line() -> str:
    """What copying exactly the rows the batched requests wrote costs (bench/intake_floor.py)."""
    with psycopg.connect(common.bench_dsn()) as conn:
        ids = [
            r[0]
            for r in conn.execute(
                "SELECT id FROM event_batches b WHERE event_count > 1"
                " AND EXISTS (SELECT 1 FROM events e WHERE e.batch_id = b.id AND e.event_id LIKE 'b-%') ORDER BY id"
            )
        ]
    floor = measure_floor(ids)
    counts = ", ".join(f"{table} {n:,}" for table, n in floor.rows_per_batch.items() if n)
    return (
        f"floor of the first load: a raw COPY of every row one of its batched requests wrote ({counts}) takes "
        f"{floor.all_ms:.0f} ms, a raw "
        f"COPY of its events alone {floor.events_ms:.0f} ms (median of {floor.batches // 2} each, alternating): "
        f"even with nothing to parse, validate, pseudonymise, look up or merge, the ratio could not exceed "
        f"{floor.ceiling:.2f} on this run"
    )


def verify(batch: BatchResult, first: BatchResult) -> list[str]:
    """The batched runs stored what they say: events, and an outbox row per request awaiting evaluation."""
    with psycopg.connect(common.bench_dsn()) as conn:
        simulated = conn.execute(
            "SELECT count(*) FROM events e JOIN event_batches b ON b.id = e.batch_id"
            " WHERE e.event_id LIKE 'sim-%' AND e.event_id NOT LIKE '%~copy' AND b.evaluated_at IS NULL"
        ).fetchone()
        stored = conn.execute(
            "SELECT count(*) FROM events WHERE event_id LIKE 'b-%' AND event_id NOT LIKE '%~copy'"
        ).fetchone()
        copied = conn.execute("SELECT count(*) FROM events WHERE event_id LIKE '%~copy'").fetchone()
        outbox = conn.execute(
            "SELECT count(*), coalesce(sum(event_count), 0) FROM event_batches WHERE evaluated_at IS NULL"
        ).fetchone()
        youths = conn.execute("SELECT count(*) FROM youths WHERE identifier_ciphertext IS NOT NULL").fetchone()
    assert simulated and stored and copied and outbox and youths
    return [
        f"stored by intake: {simulated[0]:,} simulated events (the batches incl. 2 warm-up ones, then the single "
        f"events), {stored[0]:,} first-load events; COPY: {copied[0]:,} rows "
        f"({batch.events + first.events:,} measured)",
        f"evaluation queued: {outbox[0]:,} unevaluated outbox rows (event_batches) covering {outbox[1]:,} events "
        "(no broker: the outbox sweep would send them)",
        f"youths in the database with an encrypted identifier (the population's and those created now): {youths[0]:,}",
        f"ours and COPY took turns writing a batch first (the first to touch a page pays its read and its whole-page "
        f"WAL image): simulated batches {batch.by_order}; first load {first.by_order}",
    ]


if __name__ == "__main__":
    sys.exit(main())
