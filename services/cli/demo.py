# SPDX-License-Identifier: EUPL-1.2
"""`glansrijk demo`: the whole chain on the embedded default, from nothing, in about a minute.

A fresh SQLite file, the migrations, demo partners with keys, the three APIs on a loopback port, a local webhook
receiver subscribed for every partner, the simulator's synthetic population posted through the real HTTP intake
API, the rules run (`scan`), the reporting refreshed, and a summary of what a user wants to see. The demo sets
the database for this process only (a configured Postgres URL is never used or changed) and restores the
environment when it ends.
"""

from __future__ import annotations

import os
import re
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Annotated

import httpx
import typer

from services.cli import admin, demo_post, demo_read, demo_report
from services.cli.demo_partners import PARTNERS, DemoPartner
from services.cli.demo_server import BackgroundServer, DemoError
from services.cli.demo_webhooks import WebhookReceiver
from services.core.calendar import add_months_clamped
from services.core.clock import today
from services.core.db import dispose_engines
from services.core.settings import reset_settings
from services.simulator import Config, SimEvent, Simulation

__all__ = ["DemoError", "demo"]

DATABASE_ENV, REDIS_ENV = "GLANSRIJK_DATABASE_URL", "GLANSRIJK_REDIS_URL"
# Development settings for the demo's process only: loopback http webhooks (its own receiver), and the
# simulator loads every enrolment and diploma (so the rules that read "not enrolled anywhere" may run).
DEMO_SETTINGS = {"GLANSRIJK_ALLOW_HTTP_WEBHOOKS": "true", "GLANSRIJK_EDUCATION_DATA_COMPLETE": "true"}
SQLITE_HEADER = b"SQLite format 3\x00"
URL_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]+:")


@dataclass(frozen=True)
class DemoKey:
    partner: DemoPartner
    partner_id: uuid.UUID
    key: str

    @property
    def headers(self) -> dict[str, str]:
        # The signals API wants a purpose on every read of personal data (ADR 0025).
        return {"Authorization": f"Bearer {self.key}", "X-Purpose": "Glansrijk demo"}


@dataclass
class Outcome:
    """What the demo saw, for the summary."""

    base_url: str
    database: Path
    keys: list[DemoKey]
    as_of: date
    start: date
    tally: demo_post.Tally = field(default_factory=demo_post.Tally)
    invalid_status: int = 0
    invalid_params: list[dict[str, str]] = field(default_factory=list)
    repost: dict[str, int] = field(default_factory=dict)
    routes: frozenset[str] = frozenset()
    scan: dict[str, int] = field(default_factory=dict)
    subscriptions: dict[str, str] = field(default_factory=dict)  # handle -> subscription id


def demo(
    database: Annotated[Path, typer.Option(help="the SQLite file of the demo")] = Path("glansrijk-demo.db"),
    keep: Annotated[bool, typer.Option("--keep", help="keep an existing demo database and add to it")] = False,
    port: Annotated[int, typer.Option(min=0, max=65535, help="port on 127.0.0.1; 0 picks a free one")] = 0,
    youths: Annotated[int, typer.Option(min=1, max=100_000, help="size of the synthetic population")] = 3000,
    months: Annotated[int, typer.Option(min=1, max=24, help="months of history, up to yesterday")] = 6,
    seed: Annotated[int, typer.Option(help="the same seed and date give the same population")] = 2026,
    serve: Annotated[bool, typer.Option("--serve", help="keep the APIs running after the summary (Ctrl-C)")] = False,
) -> None:
    """Run the chain end to end on a fresh SQLite file with a simulated population (demo data only)."""
    started = time.monotonic()
    path = database.expanduser().resolve()
    try:
        if URL_SCHEME.match(str(database)):
            raise DemoError("--database takes a file path, not a URL: the demo always uses its own SQLite file")
        with demo_environment(path, keep=keep):
            run(path, port=port, youths=youths, months=months, seed=seed, serve=serve, started=started)
    except DemoError as exc:
        typer.echo(f"\nerror: {exc}", err=True)
        raise typer.Exit(1) from None


@contextmanager
def demo_environment(path: Path, *, keep: bool) -> Iterator[None]:
    """Point this process at the demo file (embedded, no Redis) and put the environment back afterwards."""
    if path.is_dir():
        raise DemoError(f"{path} is a directory, not a database file")
    if path.exists() and not keep:
        with path.open("rb") as handle:
            header = handle.read(len(SQLITE_HEADER))
        if header and header != SQLITE_HEADER:
            raise DemoError(f"{path} exists and is not a SQLite database: refusing to remove it")
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    saved = {name: os.environ.get(name) for name in (DATABASE_ENV, REDIS_ENV, *DEMO_SETTINGS)}
    os.environ[DATABASE_ENV] = f"sqlite:///{path}"
    os.environ[REDIS_ENV] = ""  # empty wins over a .env file: tasks run in-process
    os.environ.update(DEMO_SETTINGS)
    reset_settings()
    dispose_engines()
    try:
        yield
    finally:
        dispose_engines()
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        reset_settings()


def run(path: Path, *, port: int, youths: int, months: int, seed: int, serve: bool, started: float) -> None:
    echo = typer.echo
    echo("Glansrijk demo: synthetic youths, fake OINs and BSNs, on the embedded default")
    demo_report.step("database", f"{path} (SQLite; tasks run in this process)")
    admin.migrate()
    demo_report.step("schema", f"migrated ({time.monotonic() - started:.1f} s)")
    keys = create_partners()
    demo_report.step("partners", f"{len(keys)} demo partners, one API key each")
    receiver = WebhookReceiver()
    receiver.start()
    server = BackgroundServer(port)
    server.start()
    try:
        as_of = today()
        start = add_months_clamped(as_of, -months)
        outcome = Outcome(server.base_url, path, keys, as_of, start, routes=server.routes)
        demo_report.step("server", f"{server.base_url} (intake, signals and reporting in one process)")
        with httpx.Client(base_url=server.base_url, timeout=120.0) as client:
            demo_post.subscribe(client, outcome, receiver)
            demo_report.step("webhooks", f"{receiver.url}: one subscription per partner (signals, handovers)")
            events = simulate(youths, start, months, seed)
            demo_post.post_population(client, outcome, events)
            demo_post.post_invalid(client, outcome, as_of)
            demo_post.post_again(client, outcome)
            admin.wait_for_tasks()
            run_rules(outcome)
            demo_post.wait_for_deliveries(client, outcome, receiver)
            refresh_reports(outcome)
            signals = demo_read.signals(client, outcome)
            reports = demo_read.reporting(client, outcome)
        demo_report.summary(outcome, signals, reports, receiver.received)
        if serve:
            demo_report.serving(outcome)
            server.wait()
        else:
            demo_report.stopped(outcome)
    finally:
        server.stop()
        receiver.stop()
    echo(f"Done in {time.monotonic() - started:.1f} s.")


def create_partners() -> list[DemoKey]:
    """The demo partners (reused by OIN with --keep) and a fresh key for each: the plain key is shown once."""
    existing = {p["oin"]: uuid.UUID(p["id"]) for p in admin.list_partners()}
    keys = []
    for partner in PARTNERS:
        partner_id = existing.get(partner.oin)
        try:
            if partner_id is None:
                roles = [r.value for r in partner.roles]
                partner_id = admin.add_partner(
                    name=partner.name, roles=roles, oin=partner.oin, kvk=None, brins=list(partner.brins)
                )
            _, plain = admin.create_key(partner_id, [s.value for s in partner.scopes], None)
        except ValueError as exc:
            raise DemoError(f"cannot register {partner.name}: {exc} (run without --keep for a fresh database)") from exc
        keys.append(DemoKey(partner, partner_id, plain))
    return keys


def simulate(youths: int, start: date, months: int, seed: int) -> list[SimEvent]:
    """The simulator's stream for the months up to yesterday, with a progress bar over the simulated weeks."""
    simulation = Simulation(Config(youths=youths, start=start, months=months, seed=seed))
    end = simulation.config.end
    weeks = (end - start).days // 7 + 1
    progress = demo_report.Progress("simulating", weeks)
    events = []
    first = start.toordinal()
    for event in simulation.events():
        events.append(event)
        arrived = date.fromisoformat(str(event.body["time"])[:10]).toordinal()
        progress.update(max(0, min(weeks, (arrived - first) // 7)))
    progress.update(weeks)
    progress.finish(f"weeks from {start} to {end}")
    demo_report.step("youths", f"{youths} simulated (seed {seed}): {len(events)} events in order of arrival")
    return events


def run_rules(outcome: Outcome) -> None:
    """The daily, time-driven evaluation as of today (what `glansrijk scan` runs), after the event-driven one."""
    from services.signals.evaluation import runner

    began = time.monotonic()
    result = runner.scan(outcome.as_of).as_json()
    outcome.scan = {k: int(v) for k, v in result.items() if isinstance(v, int)}
    took = time.monotonic() - began
    demo_report.step("rules", f"scan as of {outcome.as_of}: {result} ({took:.1f} s)")


def refresh_reports(outcome: Outcome) -> None:
    from services.reporting.tasks import run_refresh

    began = time.monotonic()
    refreshed = run_refresh(outcome.as_of, outcome.start - timedelta(days=1))
    took = time.monotonic() - began
    demo_report.step("reporting", f"{len(refreshed.month_ends)} month-ends refreshed ({took:.1f} s)")
