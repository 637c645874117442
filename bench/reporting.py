# SPDX-License-Identifier: EUPL-1.2
"""Reporting: one indicator with two dimensions over three years at 100,000 youths (design.md: p95 <= 200 ms).

    python -m bench.reporting [--youths 100000] [--requests 60]

Builds its own database (`glansrijk_bench_reporting`): 100,000 youths with a month-end snapshot for each of 36
months (3.6 million rows, synthetic bands and flags), then the cube summed from them by the refresh's own SQL
(`repository.rebuild_cells`). It then times, in the same run, `GET /reporting/v1/indicators/neet-rate/
observations?period=month&by=district,ageBand` over three years through a real uvicorn process, beside the same
SQL (the cube query the endpoint runs) executed alone on one connection.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from datetime import date

import httpx
import psycopg

from bench.common import admin_dsn, machine, markdown_table, percentile, uvicorn_server, write_result

DB = "glansrijk_bench_reporting"
REFRESH_DB = "glansrijk_bench_reporting_refresh"
REFRESH_DAY = date(2026, 10, 31)  # a month-end inside the generated year of history
FIRST, LAST = date(2023, 1, 1), date(2025, 12, 31)
TODAY = "2026-01-15"


def url() -> str:
    return f"postgresql+psycopg://{os.environ.get('BENCH_PG_USER', 'postgres')}@127.0.0.1:5432/{DB}"


def prepare(youths: int) -> None:
    with psycopg.connect(admin_dsn(), autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DB} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {DB}")
    os.environ["GLANSRIJK_DATABASE_URL"] = url()
    os.environ["GLANSRIJK_TODAY"] = TODAY
    os.environ.pop("GLANSRIJK_REDIS_URL", None)
    from services.cli import admin

    admin.migrate()
    started = time.perf_counter()
    with psycopg.connect(admin_dsn(DB), autocommit=True) as conn:
        conn.execute("SELECT setseed(0.42)")
        conn.execute(
            "INSERT INTO youths (id, pseudonym, identifier_kind, created_at) "
            "SELECT md5(i::text)::uuid, decode(md5(i::text) || md5((i + 1)::text), 'hex'), 'bsn', now() "
            "FROM generate_series(1, %s) i",
            (youths,),
        )
        # Each youth keeps a district; age band, sector, group and the flags vary per month.
        conn.execute(
            """
            INSERT INTO reporting_youth_months
            SELECT m.d, y.id, 'WK0505' || lpad((1 + abs(hashtext(y.id::text)) %% 12)::text, 2, '0'),
                   (ARRAY['12-15','16-17','18-22','23-26'])[1 + floor(random() * 4)::int],
                   (ARRAY['vo','mbo','hbo','none','none'])[1 + floor(random() * 5)::int],
                   (ARRAY['1-in-view','2-out-of-view','3-at-risk','none','none','none'])[1 + floor(random() * 6)::int],
                   1, a.age, (a.age * (random() < 0.8)::int), (random() < 0.5)::int, (random() < 0.03)::int,
                   (random() < 0.01)::int, (random() < 0.02)::int, (random() < 0.015)::int, (random() < 0.005)::int
            FROM youths y
            CROSS JOIN (SELECT (d + interval '1 month - 1 day')::date AS d
                        FROM generate_series(%s::date, %s::date, interval '1 month') d) m
            CROSS JOIN LATERAL (SELECT (random() < 0.6)::int AS age) a
            """,
            (FIRST, date(LAST.year, LAST.month, 1)),
        )
        conn.execute("ANALYZE reporting_youth_months")
    loaded = time.perf_counter() - started
    from services.core.clock import utcnow
    from services.core.db import transaction
    from services.reporting import repository
    from services.reporting.periods import month_ends_between

    started = time.perf_counter()
    with transaction() as session:
        marks = repository.current_marks(session)
        for day in month_ends_between(FIRST, LAST):
            repository.rebuild_cells(session, day, utcnow(), marks)
    cubed = time.perf_counter() - started
    with psycopg.connect(admin_dsn(DB), autocommit=True) as conn:
        conn.execute("ANALYZE reporting_month_cells")
        cells = conn.execute("SELECT count(*) FROM reporting_month_cells").fetchone()
    count = cells[0] if cells else 0
    print(f"loaded {youths} youths x 36 month-ends in {loaded:.1f} s; cube ({count} cells) in {cubed:.1f} s")


def time_sql(runs: int) -> list[float]:
    """The cube query of the endpoint, alone: compiled once, executed on one connection."""
    from services.core.db import session_factory
    from services.reporting import queries
    from services.reporting.periods import periods_between

    periods = periods_between("month", FIRST, LAST)
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


def time_http(base: str, key: str, runs: int) -> list[float]:
    params = {"period": "month", "from": FIRST.isoformat(), "to": LAST.isoformat(), "by": "district,ageBand"}
    endpoint = f"{base}/reporting/v1/indicators/neet-rate/observations"
    timings = []
    with httpx.Client(headers={"Authorization": f"Bearer {key}"}, timeout=30) as client:
        for _ in range(runs + 5):
            started = time.perf_counter()
            response = client.get(endpoint, params=params)
            timings.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, response.text
        rows = len(response.json()["items"])
    print(f"the endpoint answers {rows} rows (36 months x 13 districts x 6 age bands, with totals)")
    return sorted(timings[5:])


def time_refresh(youths: int) -> list[list[str]]:
    """The refresh's write path on generated youths with a year of history (bench.evaluate_data): one month-end
    for every youth, with the rules run per youth, and the snapshot summed into the cube."""
    from bench.evaluate_data import BRINS, ROLES, Partner, generate

    with psycopg.connect(admin_dsn(), autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {REFRESH_DB} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {REFRESH_DB}")
    os.environ["GLANSRIJK_DATABASE_URL"] = url().replace(DB, REFRESH_DB)
    os.environ["GLANSRIJK_EDUCATION_DATA_COMPLETE"] = "true"
    from services.cli import admin
    from services.core.db import dispose_engines, transaction
    from services.core.settings import reset_settings

    reset_settings()
    dispose_engines()
    admin.migrate()
    partners = {}
    for number, role in enumerate(ROLES, start=1):
        oin = f"00000002{number:012d}"
        brins = [f"{brin}:{region}" for brin, region in BRINS.items()] if role == "school" else []
        partner_id = admin.add_partner(name=f"Bench {role}", roles=[role], oin=oin, kvk=None, brins=brins)
        partners[role] = Partner(role, partner_id, f"urn:nld:oin:{oin}:systeem:bench-{role}")
    dispose_engines()
    generate(admin_dsn(REFRESH_DB), partners, youths)
    from services.reporting import refresh, repository

    started = time.perf_counter()
    with transaction() as session:
        rows = refresh.refresh_month_end(session, REFRESH_DAY, None, repository.current_marks(session))
    seconds = time.perf_counter() - started
    dispose_engines()
    with psycopg.connect(admin_dsn(), autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {REFRESH_DB} WITH (FORCE)")
    per_youth_ms = 1000 * seconds / max(rows, 1)
    return [
        [f"refresh one month-end, {rows} youths", f"{seconds:.1f} s", f"{per_youth_ms:.2f} ms per youth"],
        [
            "estimate: 100,000 youths, one month-end / 48 (first refresh)",
            f"{per_youth_ms * 100:.0f} s / {per_youth_ms * 100 * 48 / 60:.0f} min",
            "",
        ],
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--youths", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=60)
    parser.add_argument("--refresh-youths", type=int, default=5000, help="youths for the refresh timing (0: skip)")
    args = parser.parse_args()
    prepare(args.youths)
    from services.cli import admin

    partner = admin.add_partner(name="bench", roles=["municipality"], oin="00000001001111111000", kvk=None, brins=[])
    _key_id, key = admin.create_key(partner, ["reporting:read"], None)
    env = {"GLANSRIJK_DATABASE_URL": url(), "GLANSRIJK_TODAY": TODAY}
    with uvicorn_server("reporting", "services.app:reporting", "/reporting/v1/health", env) as server:
        # Both in the same run, interleaved in two halves so that neither gets the warmer machine.
        http_a = time_http(server.base_url, key, args.requests // 2)
        sql_a = time_sql(args.requests // 2)
        http_b = time_http(server.base_url, key, args.requests // 2)
        sql_b = time_sql(args.requests // 2)
    http, sql = sorted(http_a + http_b), sorted(sql_a + sql_b)
    rows = [
        ["GET observations (HTTP, uvicorn)", f"{statistics.median(http):.1f}", f"{percentile(http, 0.95):.1f}"],
        ["the same cube SQL alone", f"{statistics.median(sql):.1f}", f"{percentile(sql, 0.95):.1f}"],
    ]
    facts = machine(DB)
    with psycopg.connect(admin_dsn(), autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DB} WITH (FORCE)")
    refresh_rows = time_refresh(args.refresh_youths) if args.refresh_youths else []
    text = "\n".join(
        [
            "# Reporting: one indicator, two dimensions, three years",
            "",
            f"`python -m bench.reporting --youths {args.youths} --requests {args.requests} "
            f"--refresh-youths {args.refresh_youths}`; " + ", ".join(f"{k} {v}" for k, v in facts.items()),
            "",
            f"{args.youths} youths x 36 month-end snapshots; `neet-rate` by district and age band, monthly, "
            f"{FIRST} to {LAST}. Goal (design.md): p95 <= 200 ms.",
            "",
            markdown_table(["what", "p50 ms", "p95 ms"], rows),
            "",
            f"p95 ratio HTTP / SQL alone: {percentile(http, 0.95) / percentile(sql, 0.95):.1f}x",
            "",
            "The refresh (write path, not in the goal): generated youths with a year of history "
            "(bench.evaluate_data), the rules run per youth on one month-end, then the cube.",
            "",
            markdown_table(["what", "time", "rate"], refresh_rows),
            "",
        ]
    )
    print(text)
    print(f"written to {write_result('reporting', text)}")


if __name__ == "__main__":
    main()
