# SPDX-License-Identifier: EUPL-1.2
"""A simulated population loaded through the real intake, kept as a Postgres template for the benchmarks.

`ensure(youths)` returns the population of `youths` simulated youths (services/simulator, what
`glansrijk simulate` writes) over `months` months that end the day before the evaluation date D, loaded into
the database `glansrijk_bench_pop_<youths>_<months>m_s<seed>`. It builds that database only when it is missing
or was built for another alembic head or other parameters; `clone(population, name)` copies it in seconds
(`CREATE DATABASE ... TEMPLATE`), so that every measurement starts from the same fresh data.

Building: the migrations, the simulator's partners (services/simulator/partners.py, as `glansrijk demo`
registers them), then the stream of events in order of arrival, fed in process through the intake's own code:
each partner's events checked as the bulk importer checks them (size, `authority_problem`, `validate_events`)
and stored by `service.accept_events` in one transaction per batch. The batches are grouped as the demo posts
them (services/cli/demo_post.py `post_population`): every 1,000 events of the stream, each partner's waiting
events in one batch, the partner whose first waiting event arrived first going first. The stream is never held
in memory (100,000 youths over a year are about 2.2 million events).

The events are accepted with `raise_signals=False` (as `glansrijk import --no-signals`): the event-driven
evaluation would judge a year of arrivals as of one day, and the benchmarks want what the old generator gave,
no signals before the first scan, so that the first daily scan on D raises the backlog. The outbox of those
batches is then emptied by the real `runner.evaluate_pending(D)` (for batches without signals it only marks them
evaluated), so that a scan on a copy times the daily evaluation, not a year of outbox. An event the intake
refuses is a bug in the simulator or the intake: the build counts them and fails loudly; it does not drop them.

On the way, when the stream reaches the cutoff (HELD_DAYS before D), the database is copied as it stands to
`<template>_held`: bench/intake.py starts from that copy and posts, as the partners would, the events that
arrive after it (`events_after_cutoff` runs the same simulation again and skips to them).

The metadata (parameters, alembic head, counts, timings) is a JSON comment on the database, written last: a
database without it is an unfinished build and is rebuilt.

    python -m bench.population --youths 2000            # builds it, or reports the one there is
    python -m bench.population --youths 20000 --rebuild
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta
from datetime import time as time_of_day
from typing import Any

import orjson
import psycopg

from bench import common

BATCH_SIZE = 1000  # events per batch, as the importer's IMPORT_BATCH and the API's limit per request
PROGRESS_SECONDS = 15.0
REJECTION_EXAMPLES = 20
BUILD_SUFFIX = "_build"
HELD_SUFFIX = "_held"
# The held copy stops this long before D: what arrives after it is what bench/intake.py posts (six weeks give
# 20,000 youths 38 full batches of 1000 of one partner: bench/intake.py takes 35).
HELD_DAYS = 42
MONTHS = 12  # a year of history, as the daily re-evaluation goal says
ENV_KEYS = (
    "GLANSRIJK_DATABASE_URL",
    "GLANSRIJK_REDIS_URL",
    "GLANSRIJK_TODAY",
    "GLANSRIJK_EDUCATION_DATA_COMPLETE",
)


@dataclass(frozen=True)
class Population:
    youths: int
    months: int
    seed: int
    start: date  # the first simulated day
    day: date  # the evaluation date D: the day after the simulated period
    template: str  # the database holding the loaded population
    events: int  # events accepted by the intake
    load_seconds: float  # in the intake: the checks and accept_events (the simulator's time not included)
    simulate_seconds: float  # in the simulator, producing the stream
    build_seconds: float = 0.0  # the whole build: database, migrations, partners, stream, outbox, VACUUM
    batches: int = 0
    duplicates: int = 0
    head: str = ""  # the alembic head it was built with
    built_at: str = ""
    kinds: dict[str, int] = field(default_factory=dict)  # simulated events per type
    rows: dict[str, int] = field(default_factory=dict)  # rows per table after the load

    @property
    def cutoff(self) -> datetime:
        """The held copy holds the events that arrived before this moment (midnight UTC, HELD_DAYS before D)."""
        return datetime.combine(self.day - timedelta(days=HELD_DAYS), time_of_day.min, tzinfo=UTC)

    @property
    def held_template(self) -> str:
        """The population as it stood at `cutoff` (its outbox evaluated, vacuumed): for the intake benchmark."""
        return self.template + HELD_SUFFIX

    @property
    def load_rate(self) -> float:
        """Events per second through the intake (its own time)."""
        return self.events / self.load_seconds if self.load_seconds else 0.0

    @property
    def build_rate(self) -> float:
        """Events per second of the whole build, simulator included."""
        return self.events / self.build_seconds if self.build_seconds else 0.0

    def as_json(self) -> str:
        values = asdict(self)
        values["start"], values["day"] = self.start.isoformat(), self.day.isoformat()
        return json.dumps(values, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> Population:
        values = json.loads(text)
        values["start"], values["day"] = date.fromisoformat(values["start"]), date.fromisoformat(values["day"])
        return cls(**values)


class RejectedEvents(RuntimeError):
    """The intake refused simulated events: a bug to fix, never data to drop."""


def template_name(youths: int, months: int, seed: int) -> str:
    return f"glansrijk_bench_pop_{youths}_{months}m_s{seed}"


def start_of(day: date, months: int) -> date:
    """The first simulated day: `months` months before D, so that the period ends the day before D."""
    from services.core.calendar import add_months_clamped

    return add_months_clamped(day, -months)


def ensure(
    youths: int, *, months: int = MONTHS, seed: int = 2026, day: date = date(2026, 11, 20), rebuild: bool = False
) -> Population:
    """The population of these parameters, built only when its template is missing, unfinished or stale."""
    if youths < 1 or months < 1:
        raise ValueError("youths and months must be positive")
    name = template_name(youths, months, seed)
    head = alembic_head()
    existing = stored(name)
    if (
        not rebuild
        and existing is not None
        and existing.head == head
        and existing.day == day
        and exists(existing.held_template)
    ):
        return existing
    return build(name, youths, months, seed, day, head)


def add_arguments(parser: argparse.ArgumentParser, youths: int = 20_000) -> None:
    """`--youths`, `--seed` and `--rebuild-population`, as the benchmarks on a population take them."""
    parser.add_argument("--youths", type=int, default=youths, help=f"simulated youths of the population ({youths:,})")
    parser.add_argument("--seed", type=int, default=2026, help="the simulator's seed (default 2026)")
    parser.add_argument("--rebuild-population", action="store_true", help="build the population even when current")


def from_arguments(args: argparse.Namespace) -> Population:
    """The population `add_arguments` named, built when missing, said on the way."""
    print(f"the population of {args.youths:,} simulated youths (built once, then reused) ...", flush=True)
    population = ensure(args.youths, seed=args.seed, rebuild=args.rebuild_population)
    print(f"  {population.template}: {describe(population)}", flush=True)
    return population


def clone(population: Population, name: str) -> None:
    """A fresh copy of the population as database `name` (dropped first when it exists)."""
    _copy_database(population.template, name)


def clone_held(population: Population, name: str) -> None:
    """A fresh copy of the population as it stood at its cutoff, as database `name`."""
    _copy_database(population.held_template, name)


def _copy_database(template: str, name: str) -> None:
    with psycopg.connect(common.admin_dsn(), autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        # FILE_COPY: the files copied after a checkpoint. The default since PostgreSQL 15 (WAL_LOG) writes the
        # whole copy to the WAL, a gigabyte or two at 100,000 youths, and the checkpoints that volume sets off
        # ran on into the measurement that follows (each one making the next change of every page write the
        # whole page to the WAL again). PostgreSQL 14 and older know no STRATEGY and copy files anyway.
        strategy = " STRATEGY FILE_COPY" if conn.info.server_version >= 150000 else ""
        conn.execute(f"CREATE DATABASE {name} TEMPLATE {template}{strategy}")
        # Its pages written out now, not by a checkpoint in the middle of the measurement.
        conn.execute("CHECKPOINT")


def events_after_cutoff(population: Population) -> Iterator[Any]:
    """The simulator's events (SimEvent) that arrive from the cutoff on, in order of arrival: the ones the held
    copy lacks (the same simulation again; the stream is deterministic for its parameters)."""
    from services.simulator import Config, Simulation

    config = Config(youths=population.youths, start=population.start, months=population.months, seed=population.seed)
    cutoff = population.cutoff.strftime("%Y-%m-%dT%H:%M:%SZ")
    return itertools.dropwhile(lambda e: str(e.body["time"]) < cutoff, Simulation(config).events())


def exists(name: str) -> bool:
    with psycopg.connect(common.admin_dsn(), autocommit=True) as conn:
        return conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone() is not None


# -- the metadata -------------------------------------------------------------------------------------------
def alembic_head() -> str:
    from alembic.script import ScriptDirectory

    from services.cli import admin

    head = ScriptDirectory.from_config(admin.alembic_config()).get_current_head()
    return head or ""


def stored(name: str) -> Population | None:
    """The population of database `name` from its comment; None when the database or the comment is missing."""
    with psycopg.connect(common.admin_dsn(), autocommit=True) as conn:
        row = conn.execute(
            "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = %s", (name,)
        ).fetchone()
    if row is None or not row[0]:
        return None
    try:
        return Population.from_json(row[0])
    except (ValueError, TypeError, KeyError):
        return None  # written by another version of this module: rebuild


# -- building -----------------------------------------------------------------------------------------------
def database_url(name: str) -> str:
    return f"postgresql+psycopg://{common.PG_USER}@{common.PG_HOST}:{common.PG_PORT}/{name}"


@contextmanager
def services_on(name: str, day: date) -> Iterator[None]:
    """This process's `services` on database `name` as of D, without a broker (tasks would run in process);
    the environment and the engines are restored and closed afterwards, so nobody stays connected."""
    from services.core.db import dispose_engines
    from services.core.settings import reset_settings

    saved = {key: os.environ.get(key) for key in ENV_KEYS}
    os.environ["GLANSRIJK_DATABASE_URL"] = database_url(name)
    os.environ["GLANSRIJK_TODAY"] = day.isoformat()
    os.environ["GLANSRIJK_EDUCATION_DATA_COMPLETE"] = "true"
    os.environ.pop("GLANSRIJK_REDIS_URL", None)
    dispose_engines()
    reset_settings()
    try:
        yield
    finally:
        dispose_engines()
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        reset_settings()


def build(name: str, youths: int, months: int, seed: int, day: date, head: str) -> Population:
    """Load the population into `<name>_build`, then rename it to `name` with its metadata as the comment."""
    began = time.perf_counter()
    building = name + BUILD_SUFFIX
    start = start_of(day, months)
    print(f"building {name}: {youths:,} youths, {months} months from {start} (D = {day}), seed {seed}", flush=True)
    with psycopg.connect(common.admin_dsn(), autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {building} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {building}")
        # The build's commits need not wait for the disk; the setting stays with this database, not its clones.
        conn.execute(f"ALTER DATABASE {building} SET synchronous_commit = off")
    with services_on(building, day):
        from services.cli import admin
        from services.signals.evaluation import runner

        admin.migrate()
        partners = register_partners()
        load = Loader(partners)
        cutoff = Population(youths, months, seed, start, day, name, 0, 0.0, 0.0).cutoff
        simulation = stream_into(load, youths, start, months, seed, cutoff, lambda: hold(building, name, cutoff))
        runner.evaluate_pending(day)  # the batches without signals are only marked evaluated
    handled = load.accepted + load.duplicates + load.rejected
    if handled != simulation.emitted:
        raise RuntimeError(f"the simulator emitted {simulation.emitted:,} events, the intake saw {handled:,}")
    if load.rejected:
        raise RejectedEvents(
            f"the intake refused {load.rejected:,} simulated events (database {building} kept): "
            + "; ".join(load.examples)
        )
    vacuum(building)
    population = Population(
        youths=youths,
        months=months,
        seed=seed,
        start=start,
        day=day,
        template=name,
        events=load.accepted,
        load_seconds=round(load.seconds, 2),
        simulate_seconds=round(simulation.seconds, 2),
        build_seconds=round(time.perf_counter() - began, 2),
        batches=load.batches,
        duplicates=load.duplicates,
        head=head,
        built_at=time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        kinds=dict(sorted(simulation.kinds.items())),
        rows=row_counts(building),
    )
    finish(building, population)
    print(f"built {name}: {describe(population)}", flush=True)
    return population


def register_partners() -> dict[str, Any]:
    """The simulator's partners, registered as the demo does; handle -> their profile (as a request sees it)."""
    from services.cli import admin
    from services.core import repository
    from services.core.db import transaction
    from services.simulator.partners import PARTNERS

    profiles = {}
    for partner in PARTNERS:
        roles, brins = [r.value for r in partner.roles], list(partner.brins)
        partner_id = admin.add_partner(name=partner.name, roles=roles, oin=partner.oin, kvk=None, brins=brins)
        with transaction(read_only=True) as session:
            profiles[partner.handle] = repository.load_partner_profile(session, partner_id)
    return profiles


class Loader:
    """Batches of one partner's events through the importer's checks and `accept_events`; counts everything."""

    def __init__(self, partners: dict[str, Any]) -> None:
        from services.core.settings import get_settings

        self.partners = partners
        self.max_event = get_settings().max_event_bytes
        self.accepted = self.duplicates = self.rejected = self.batches = 0
        self.seconds = 0.0
        self.examples: list[str] = []

    def load(self, handle: str, bodies: list[dict[str, Any]]) -> None:
        from services.core.db import transaction
        from services.intake import service

        started = time.perf_counter()
        partner = self.partners[handle]
        valid = self.check(handle, partner, bodies)
        if valid:
            with transaction() as session:
                result = service.accept_events(session, partner.id, valid, raise_signals=False)
            self.accepted += result.accepted
            self.duplicates += result.duplicates
            self.batches += 1
        self.seconds += time.perf_counter() - started

    def check(self, handle: str, partner: Any, bodies: list[dict[str, Any]]) -> list[Any]:
        """The valid events; on any refusal each event is checked alone, as the importer does, to count them."""
        from services.core.problems import Problem
        from services.intake.envelope import RawEvents, authority_problem, validate_events

        if all(len(orjson.dumps(body)) <= self.max_event for body in bodies):
            raw = RawEvents(bodies, lambda i, path: f"[{i}]{path}")
            if authority_problem(raw.events, partner) is None:
                try:
                    return validate_events(raw)
                except Problem:
                    pass
        return [event for body in bodies if (event := self.check_one(handle, partner, body)) is not None]

    def check_one(self, handle: str, partner: Any, body: dict[str, Any]) -> Any:
        """bulk importer's `_check_line` without the JSON parsing: the event, or None counted as refused."""
        from services.core.problems import Problem
        from services.intake.envelope import RawEvents, authority_problem, validate_events

        reasons: list[Any]
        if len(orjson.dumps(body)) > self.max_event:
            reasons = [f"the event is over {self.max_event} bytes"]
        else:
            raw = RawEvents([body], lambda _i, path: path)
            forbidden = authority_problem(raw.events, partner)
            if forbidden is not None:
                reasons = [r["reason"] for r in forbidden.extra["forbiddenEvents"]]
            else:
                try:
                    return validate_events(raw)[0]
                except Problem as problem:
                    reasons = list(problem.invalid_params or [])
        self.rejected += 1
        if len(self.examples) < REJECTION_EXAMPLES:
            self.examples.append(f"{handle} {body.get('type')} {body.get('id')}: {reasons}")
            print(f"  REFUSED {self.examples[-1]}", file=sys.stderr, flush=True)
        return None


@dataclass
class Streamed:
    seconds: float
    emitted: int
    kinds: Counter[str]


def stream_into(
    load: Loader, youths: int, start: date, months: int, seed: int, cutoff: datetime, at_cutoff: Callable[[], None]
) -> Streamed:
    """The simulator's stream in order of arrival, grouped into batches as `post_population` posts them;
    `at_cutoff` runs once, when everything that arrived before `cutoff` is stored."""
    from services.simulator import Config, Simulation

    simulation = Simulation(Config(youths=youths, start=start, months=months, seed=seed))
    waiting: dict[str, list[dict[str, Any]]] = {}  # insertion order: the earliest waiting partner first
    pending = 0
    began = last = time.perf_counter()

    def send_all() -> None:
        for handle, bodies in waiting.items():
            load.load(handle, bodies)
        waiting.clear()

    held = cutoff.strftime("%Y-%m-%dT%H:%M:%SZ")
    for event in simulation.events():
        if held and str(event.body["time"]) >= held:
            send_all()
            at_cutoff()
            held = ""
        waiting.setdefault(event.partner, []).append(event.body)
        pending += 1
        if pending >= BATCH_SIZE:
            send_all()
            pending = 0
            if time.perf_counter() - last >= PROGRESS_SECONDS:
                last = time.perf_counter()
                progress(load, last - began, str(event.body["time"])[:10])
    send_all()
    if held:
        at_cutoff()
    wall = time.perf_counter() - began
    progress(load, wall, "the end")
    return Streamed(wall - load.seconds, simulation.emitted, simulation.kinds)


def progress(load: Loader, wall: float, at: str) -> None:
    handled = load.accepted + load.duplicates + load.rejected
    print(
        f"  {handled:,} events up to {at} in {wall:.0f} s: {handled / wall:,.0f} events/s overall, "
        f"{handled / max(load.seconds, 1e-9):,.0f} events/s in the intake",
        flush=True,
    )


def hold(building: str, name: str, cutoff: datetime) -> None:
    """The database being built, copied as it is at the cutoff (its outbox evaluated as of that day)."""
    from services.core.db import dispose_engines
    from services.signals.evaluation import runner

    runner.evaluate_pending(cutoff.date())
    dispose_engines()  # CREATE DATABASE ... TEMPLATE needs the source without connections
    held = name + HELD_SUFFIX
    with psycopg.connect(common.admin_dsn(), autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {held} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {held} TEMPLATE {building}")
    vacuum(held)
    print(f"  held copy {held}: the events that arrived before {cutoff:%Y-%m-%d}", flush=True)


def vacuum(name: str) -> None:
    with psycopg.connect(common.admin_dsn(name), autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")


def row_counts(name: str) -> dict[str, int]:
    """Rows of every table with any (alembic's own table left out)."""
    with psycopg.connect(common.admin_dsn(name)) as conn:
        tables = [
            row[0]
            for row in conn.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'alembic_version' "
                "ORDER BY tablename"
            )
        ]
        counts = {}
        for table in tables:
            row = conn.execute(f'SELECT count(*) FROM "{table}"').fetchone()
            if row is not None and row[0]:
                counts[table] = int(row[0])
    return counts


def finish(building: str, population: Population) -> None:
    """The metadata as the comment, then the name: only a finished build carries both."""
    with psycopg.connect(common.admin_dsn(), autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {population.template} WITH (FORCE)")
        comment = population.as_json().replace("'", "''")
        conn.execute(f"COMMENT ON DATABASE {building} IS '{comment}'")
        conn.execute(f"ALTER DATABASE {building} RENAME TO {population.template}")


def describe(population: Population) -> str:
    return (
        f"{population.events:,} events in {population.batches:,} batches "
        f"({population.duplicates:,} duplicates); intake {population.load_seconds:.0f} s "
        f"({population.load_rate:,.0f} events/s), simulator {population.simulate_seconds:.0f} s, "
        f"whole build {population.build_seconds:.0f} s ({population.build_rate:,.0f} events/s)"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.population", description=__doc__.split("\n")[0])
    parser.add_argument("--youths", type=int, required=True, help="simulated youths")
    parser.add_argument("--months", type=int, default=MONTHS, help=f"simulated months before D (default {MONTHS})")
    parser.add_argument("--seed", type=int, default=2026, help="the simulator's seed (default 2026)")
    parser.add_argument("--rebuild", action="store_true", help="build it even when a current one exists")
    args = parser.parse_args(argv)
    import logging

    logging.getLogger("services").setLevel(logging.ERROR)  # development keys
    began = time.perf_counter()
    population = ensure(args.youths, months=args.months, seed=args.seed, rebuild=args.rebuild)
    took = time.perf_counter() - began
    print(f"{population.template} (built {population.built_at}, head {population.head}; {took:.1f} s now)")
    print(f"  {population.youths:,} youths, {population.start} .. {population.day} (D), seed {population.seed}")
    print(f"  {describe(population)}")
    print("  rows: " + ", ".join(f"{table} {count:,}" for table, count in population.rows.items()))
    print("  simulated: " + ", ".join(f"{kind} {count:,}" for kind, count in population.kinds.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
