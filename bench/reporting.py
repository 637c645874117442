# SPDX-License-Identifier: EUPL-1.2
"""Reporting on simulated youths: one indicator, two dimensions, three years (design.md: p95 <= 200 ms).

    python -m bench.reporting [--youths 100000 | --quick] [--seed 2026] [--requests 60] [--processes 2]

The database (`glansrijk_bench_reporting`) is a clone of the simulated population of `bench.population`: the
simulator's demo partners and `--youths` youths whose year of events went through the real intake service.

1. The refresh. The month-end snapshots of the simulated year are computed by the production refresh from that
   state, with `GLANSRIJK_TODAY` = the population's day: the month-ends are planned by `refresh.plan`, each
   youth-month by `refresh.compute_month_end` (the rules' own conditions per youth) and each month-end's cube by
   `repository.rebuild_cells`. With `--processes 1` it is `tasks.run_refresh` itself. That refresh runs one
   month-end at a time under an advisory lock (`repository.lock_refresh`, held for the whole month-end, so the
   Celery tasks of a first refresh run one after another too) and uses one core: on 2,000 and 5,000 simulated
   youths it took 0.67-0.75 ms per youth-month on this 2-core machine, 13-15 minutes for 100,000 youths x 12
   month-ends. The default `--processes 2` therefore splits every month-end's registered youths (sorted by id,
   every second one) over two processes that each run the production `refresh.compute_month_end` on their half,
   one transaction per month-end, then sums each month-end's cube with `repository.rebuild_cells` in this
   process: the same code and the same rows (checked: identical snapshot rows and cube, by md5, with 1 and 2
   processes on 2,000 and 5,000 youths), 0.41 ms per youth-month on the otherwise idle machine. Timed: the rate
   per youth-month and the estimates for 100,000 youths (12 month-ends, and the 48 of a first refresh).
2. Three years. The simulated period is one year; the goal's query spans three. The refreshed year's snapshot
   rows are copied to the same month-ends one and two years earlier (the simulated year's snapshots stand for the
   two years before it too), and the cube of all 36 month-ends is rebuilt with `repository.rebuild_cells`.
3. The query. In the same run, `GET /reporting/v1/indicators/neet-rate/observations?period=month&by=district,
   ageBand` over the 36 months through a real uvicorn process, beside the same cube SQL (the query the endpoint
   runs) executed alone on one connection, interleaved in two halves; p50 and p95.

The clone is dropped at the end; the population template stays for the next run.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import statistics
import time
import uuid
from dataclasses import dataclass
from datetime import date

import httpx
import psycopg

from bench import population
from bench.common import (
    PG_HOST,
    PG_PORT,
    PG_USER,
    admin_dsn,
    machine,
    markdown_table,
    percentile,
    publish,
    uvicorn_server,
)

DB = "glansrijk_bench_reporting"
QUICK_YOUTHS = 20_000
GOAL_P95_MS = 200.0
FULL_YOUTHS = 100_000
FIRST_REFRESH_MONTHS = 48  # services.reporting.refresh.HISTORY_MONTHS: what a first refresh in production computes
COPIED_YEARS = (1, 2)


def url() -> str:
    return f"postgresql+psycopg://{PG_USER}@{PG_HOST}:{PG_PORT}/{DB}"


def environment(day: date) -> dict[str, str]:
    """The settings of this process, the refresh processes and the API: the clone, the population's day as
    today, complete education data (the simulator posts every enrolment, as in the demo), no broker."""
    return {
        "GLANSRIJK_DATABASE_URL": url(),
        "GLANSRIJK_TODAY": day.isoformat(),
        "GLANSRIJK_EDUCATION_DATA_COMPLETE": "true",
    }


def use(env: dict[str, str]) -> None:
    os.environ.update(env)
    os.environ.pop("GLANSRIJK_REDIS_URL", None)
    from services.core.db import dispose_engines
    from services.core.settings import reset_settings

    reset_settings()
    dispose_engines()


@dataclass
class Refresh:
    month_ends: list[date]
    youth_months: int
    processes: int
    seconds: float  # the whole refresh: plan, snapshot rows and cubes
    rows_seconds: float  # of which the snapshot rows (the rules per youth)

    @property
    def ms_per_youth_month(self) -> float:
        return 1000 * self.seconds / max(self.youth_months, 1)


def _compute_part(env: dict[str, str], work: list[tuple[date, list[uuid.UUID]]]) -> int:
    """One refresh process: the snapshot rows of its youths on each month-end, one transaction per month-end."""
    use(env)
    from services.core.db import dispose_engines, transaction
    from services.reporting import refresh

    written = 0
    for day, ids in work:
        with transaction() as session:
            written += refresh.compute_month_end(session, day, ids)
    dispose_engines()
    return written


def run_refresh(pop: population.Population, processes: int) -> Refresh:
    """The month-ends of the simulated year, refreshed by the production code from the simulated state."""
    from services.core.clock import utcnow
    from services.core.db import dispose_engines, transaction
    from services.reporting import refresh, repository, tasks

    started = time.perf_counter()
    if processes == 1:
        outcome = tasks.run_refresh(pop.day, pop.start)
        seconds = time.perf_counter() - started
        return Refresh(outcome.month_ends, outcome.youth_months, 1, seconds, seconds)
    with transaction(read_only=True) as session:
        plan = refresh.plan(session, pop.day, pop.start)
        days = [(day, ids if ids is not None else repository.registered_youths(session, day)) for day, ids in plan.days]
    dispose_engines()  # nothing shared with the processes
    parts = [[(day, ids[part::processes]) for day, ids in days] for part in range(processes)]
    context = multiprocessing.get_context("spawn")
    env = environment(pop.day)
    rows_started = time.perf_counter()
    with context.Pool(processes) as pool:
        written = sum(pool.starmap(_compute_part, [(env, part) for part in parts]))
    rows_seconds = time.perf_counter() - rows_started
    for day, _ids in days:
        with transaction() as session:
            repository.lock_refresh(session)
            repository.rebuild_cells(session, day, utcnow(), plan.upto)
    seconds = time.perf_counter() - started
    return Refresh([day for day, _ids in days], written, processes, seconds, rows_seconds)


def month_end_years_before(day: date, years: int) -> date:
    from services.reporting.periods import month_end

    return month_end(day.year - years, day.month)


def three_years(refreshed: list[date]) -> tuple[list[date], int, float]:
    """Copy the refreshed year's snapshot rows to the same month-ends one and two years earlier, then rebuild the
    cube of all 36 month-ends with the refresh's own SQL. Returns the month-ends, the snapshot rows and seconds."""
    from services.core.clock import utcnow
    from services.core.db import transaction
    from services.reporting import repository

    columns = ", ".join(("youth_id", *repository.BANDS, *repository.FLAGS))
    started = time.perf_counter()
    with psycopg.connect(admin_dsn(DB), autocommit=True) as conn:
        for day in refreshed:
            for years in COPIED_YEARS:
                conn.execute(
                    f"INSERT INTO reporting_youth_months (month_end, {columns}) "
                    f"SELECT %s, {columns} FROM reporting_youth_months WHERE month_end = %s",
                    (month_end_years_before(day, years), day),
                )
        conn.execute("ANALYZE reporting_youth_months")
        row = conn.execute("SELECT count(*) FROM reporting_youth_months").fetchone()
    snapshot_rows = row[0] if row else 0
    days = sorted({month_end_years_before(d, years) for d in refreshed for years in (0, *COPIED_YEARS)})
    with transaction() as session:
        marks = repository.current_marks(session)
        for day in days:
            repository.rebuild_cells(session, day, utcnow(), marks)
    with psycopg.connect(admin_dsn(DB), autocommit=True) as conn:
        conn.execute("ANALYZE reporting_month_cells")
    return days, snapshot_rows, time.perf_counter() - started


def query_window(days: list[date]) -> tuple[date, date]:
    """From the first day of the first month to the last month-end; checked to be exactly the 36 month-ends
    computed, as the endpoint will read them."""
    from services.core.db import transaction
    from services.reporting import queries
    from services.reporting.periods import periods_between

    first, last = days[0].replace(day=1), days[-1]
    periods = periods_between("month", first, last)
    with transaction(read_only=True) as session:
        computed = queries.computed_month_ends(session, [p.end for p in periods])
    ends = [p.end for p in periods]
    assert len(days) == 36 and ends == days and computed == set(days), (ends, sorted(computed))
    return first, last


def time_sql(first: date, last: date, runs: int) -> list[float]:
    """The cube query of the endpoint, alone: compiled once, executed on one connection."""
    from services.core.db import session_factory
    from services.reporting import queries
    from services.reporting.periods import periods_between

    periods = periods_between("month", first, last)
    timings = []
    session = session_factory(read_only=True)()
    try:
        for _ in range(runs + 5):
            started = time.perf_counter()
            queries.cube(session, "neet-rate", periods, ["district", "ageBand"])
            timings.append((time.perf_counter() - started) * 1000)
            session.rollback()
    finally:
        session.close()
    return sorted(timings[5:])


def time_http(base: str, key: str, first: date, last: date, runs: int) -> tuple[list[float], int, int]:
    """The endpoint over HTTP; also returns the rows of the answer and the months in it."""
    params = {"period": "month", "from": first.isoformat(), "to": last.isoformat(), "by": "district,ageBand"}
    endpoint = f"{base}/reporting/v1/indicators/neet-rate/observations"
    timings = []
    with httpx.Client(headers={"Authorization": f"Bearer {key}"}, timeout=30) as client:
        for _ in range(runs + 5):
            started = time.perf_counter()
            response = client.get(endpoint, params=params)
            timings.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, response.text
    items = response.json()["items"]
    months = {item["period"] for item in items}
    return sorted(timings[5:]), len(items), len(months)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    size = parser.add_mutually_exclusive_group()
    size.add_argument("--youths", type=int, default=FULL_YOUTHS, help="simulated youths (default 100,000)")
    size.add_argument("--quick", action="store_true", help=f"{QUICK_YOUTHS:,} youths")
    parser.add_argument("--seed", type=int, default=2026, help="the simulator's seed (default 2026)")
    parser.add_argument("--requests", type=int, default=60, help="timed requests, and as many SQL runs (default 60)")
    parser.add_argument(
        "--processes", type=int, default=2, help="refresh processes splitting the youths (1: tasks.run_refresh)"
    )
    args = parser.parse_args()
    youths = QUICK_YOUTHS if args.quick else args.youths
    command = f"python -m bench.reporting {'--quick' if args.quick else f'--youths {youths}'} --seed {args.seed} "
    command += f"--requests {args.requests} --processes {args.processes}"

    pop = population.ensure(youths, seed=args.seed)
    population.clone(pop, DB)
    env = environment(pop.day)
    use(env)
    try:
        done = run_refresh(pop, args.processes)
        print(
            f"refresh: {len(done.month_ends)} month-ends, {done.youth_months} youth-months in {done.seconds:.1f} s "
            f"({done.ms_per_youth_month:.2f} ms per youth-month, {done.processes} processes)"
        )
        days, snapshot_rows, cubed = three_years(done.month_ends)
        print(f"three years: {snapshot_rows} snapshot rows, cube of {len(days)} month-ends in {cubed:.1f} s")
        first, last = query_window(days)
        from services.cli import admin
        from services.core.db import dispose_engines

        # The municipality of the simulator's partners (there is exactly one) reads the reports.
        municipality = next(p for p in admin.list_partners() if "municipality" in p["roles"])
        _key_id, key = admin.create_key(uuid.UUID(municipality["id"]), ["reporting:read"], None)
        with uvicorn_server("reporting", "services.app:reporting", "/reporting/v1/health", env) as server:
            # Both in the same run, interleaved in two halves so that neither gets the warmer machine.
            http_a, answered, months = time_http(server.base_url, key, first, last, args.requests // 2)
            sql_a = time_sql(first, last, args.requests // 2)
            http_b, _rows, _months = time_http(server.base_url, key, first, last, args.requests // 2)
            sql_b = time_sql(first, last, args.requests // 2)
        assert months == len(days), f"the answer has {months} months, not {len(days)}"
        dispose_engines()
        facts = machine(DB)
    finally:
        with psycopg.connect(admin_dsn(), autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {DB} WITH (FORCE)")
    http, sql = sorted(http_a + http_b), sorted(sql_a + sql_b)
    query_rows = [
        ["GET observations (HTTP, uvicorn)", f"{statistics.median(http):.1f}", f"{percentile(http, 0.95):.1f}"],
        ["the same cube SQL alone", f"{statistics.median(sql):.1f}", f"{percentile(sql, 0.95):.1f}"],
    ]
    rate = done.ms_per_youth_month
    refresh_rows = [
        [
            f"refresh: {len(done.month_ends)} month-ends, {done.youth_months} youth-months, "
            f"{done.processes} process{'es' if done.processes > 1 else ''}",
            f"{done.seconds:.1f} s",
            f"{rate:.2f} ms per youth-month",
        ],
        [
            f"estimate: {FULL_YOUTHS:,} youths x 12 month-ends",
            f"{rate * FULL_YOUTHS * 12 / 60_000:.0f} min",
            "at this rate",
        ],
        [
            f"estimate: first refresh, {FULL_YOUTHS:,} youths x {FIRST_REFRESH_MONTHS} month-ends",
            f"{rate * FULL_YOUTHS * FIRST_REFRESH_MONTHS / 60_000:.0f} min",
            "at this rate",
        ],
        [
            f"not the refresh: the copies for the two earlier years and the cube of all {len(days)} month-ends",
            f"{cubed:.1f} s",
            "",
        ],
    ]
    if done.processes > 1:  # run_refresh does not tell its rows from its cubes
        refresh_rows.insert(1, ["of which the snapshot rows (the rules per youth)", f"{done.rows_seconds:.1f} s", ""])
    split = (
        "`tasks.run_refresh` itself, one process"
        if done.processes == 1
        else f"the youths of each month-end split over {done.processes} processes, each running the production "
        "`refresh.compute_month_end` on its half, then each month-end's cube by `repository.rebuild_cells` (the "
        "refresh's advisory lock serialises whole month-ends, Celery tasks included, so the production path "
        "uses one core: 0.67-0.75 ms per youth-month measured on 2,000 and 5,000 youths, 13-15 minutes for "
        "100,000 x 12 on this machine; the split computes the same rows with the same code, checked by md5)"
    )
    text = "\n".join(
        [
            "# Reporting: one indicator, two dimensions, three years, on simulated youths",
            "",
            f"`{command}`; " + ", ".join(f"{k} {v}" for k, v in facts.items()),
            "",
            f"The data: {pop.youths} simulated youths (services/simulator, seed {pop.seed}), {pop.events} events "
            f"from {pop.start} to the day before {pop.day} loaded through the real intake service "
            f"(bench.population). The month-end snapshots of that year ({done.month_ends[0]} to "
            f"{done.month_ends[-1]}) were computed by the production refresh from the simulated state, as of "
            f"{pop.day}. The simulated year's snapshots stand for the two years before it too: its "
            f"{len(done.month_ends)} month-ends' rows were copied to the same month-ends one and two years earlier, "
            f"and the cube of all {len(days)} month-ends ({snapshot_rows} snapshot rows) was rebuilt by the "
            "refresh's own SQL (`repository.rebuild_cells`). The population holds no signals yet (bench.population "
            "loads the events without them, before any daily scan): `neet-rate` does not read them.",
            "",
            f"The query: `neet-rate` by district and age band, monthly, {first} to {last} ({len(days)} months; "
            f"the answer has {answered} rows with totals). Goal (design.md): p95 <= 200 ms at 100,000 youths.",
            "",
            markdown_table(
                ["what", "ours", "baseline (same run)", "ratio", "goal", "met"],
                [
                    [
                        f"reporting p95 over HTTP, {pop.youths:,} youths x {len(days)} month-ends",
                        f"{percentile(http, 0.95):.1f} ms",
                        f"the cube SQL alone {percentile(sql, 0.95):.1f} ms",
                        f"{percentile(http, 0.95) / percentile(sql, 0.95):.1f}x",
                        f"p95 <= {GOAL_P95_MS:.0f} ms",
                        "yes" if percentile(http, 0.95) <= GOAL_P95_MS else "**no**",
                    ]
                ],
            ),
            "",
            markdown_table(["what", "p50 ms", "p95 ms"], query_rows),
            "",
            f"p95 over HTTP {percentile(http, 0.95):.1f} ms against the goal's 200 ms"
            + ("" if pop.youths == FULL_YOUTHS else f" (at {pop.youths} youths, not the goal's 100,000)")
            + f"; p95 ratio HTTP / SQL alone: {percentile(http, 0.95) / percentile(sql, 0.95):.1f}x",
            "",
            f"The refresh (the write path, not in the goal): {split}.",
            "",
            markdown_table(["what", "time", "rate"], refresh_rows),
            "",
        ]
    )
    publish(f"reporting-{youths}", text)


if __name__ == "__main__":
    main()
