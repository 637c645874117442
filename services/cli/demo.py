# SPDX-License-Identifier: EUPL-1.2
"""`glansrijk demo`: the intake end to end on the embedded default, from nothing, in seconds.

A fresh SQLite file, the migrations, demo partners with keys, the three APIs on a loopback port, and a
synthetic population posted through the real HTTP intake API. The demo sets the database for this process
only (a configured Postgres URL is never used or changed) and restores the environment when it ends.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import threading
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import httpx
import typer

from services.cli import admin, demo_report
from services.cli.demo_data import DemoEvent, bad_events, generate
from services.cli.demo_partners import PARTNERS, DemoPartner
from services.core.clock import today
from services.core.db import dispose_engines
from services.core.scopes import Scope
from services.core.settings import reset_settings

DATABASE_ENV, REDIS_ENV = "GLANSRIJK_DATABASE_URL", "GLANSRIJK_REDIS_URL"
SQLITE_HEADER = b"SQLite format 3\x00"
URL_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]+:")
BATCH = "application/cloudevents-batch+json"
BATCH_SIZE = 500
HEALTH_TIMEOUT = 20.0


class DemoError(Exception):
    """Something the demo cannot go on from; reported as one line."""


@dataclass(frozen=True)
class DemoKey:
    partner: DemoPartner
    partner_id: uuid.UUID
    key: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.key}"}


@dataclass
class Tally:
    """The intake's answers per event, by type and by partner."""

    by_type: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    by_partner: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))

    def add(self, partner: DemoPartner, event_type: str, outcome: str) -> None:
        self.by_type[event_type][outcome] += 1
        self.by_partner[partner.name][outcome] += 1


@dataclass
class Outcome:
    """What the demo saw, for the summary."""

    base_url: str
    database: Path
    keys: list[DemoKey]
    as_of: date
    tally: Tally = field(default_factory=Tally)
    invalid_status: int = 0
    invalid_params: list[dict[str, str]] = field(default_factory=list)
    repost: dict[str, int] = field(default_factory=dict)
    routes: frozenset[str] = frozenset()


def demo(
    database: Annotated[Path, typer.Option(help="the SQLite file of the demo")] = Path("glansrijk-demo.db"),
    keep: Annotated[bool, typer.Option("--keep", help="keep an existing demo database and add to it")] = False,
    port: Annotated[int, typer.Option(min=0, max=65535, help="port on 127.0.0.1; 0 picks a free one")] = 0,
    youths: Annotated[int, typer.Option(min=1, max=100_000, help="size of the synthetic population")] = 300,
    seed: Annotated[int, typer.Option(help="the same seed and date give the same population")] = 2026,
    serve: Annotated[bool, typer.Option("--serve", help="keep the APIs running after the summary (Ctrl-C)")] = False,
) -> None:
    """Run the intake end to end on a fresh SQLite file with a synthetic population (demo data only)."""
    started = time.monotonic()
    path = database.expanduser().resolve()
    try:
        if URL_SCHEME.match(str(database)):
            raise DemoError("--database takes a file path, not a URL: the demo always uses its own SQLite file")
        with demo_environment(path, keep=keep):
            run(path, port=port, youths=youths, seed=seed, serve=serve, started=started)
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
    saved = {name: os.environ.get(name) for name in (DATABASE_ENV, REDIS_ENV)}
    os.environ[DATABASE_ENV] = f"sqlite:///{path}"
    os.environ[REDIS_ENV] = ""  # empty wins over a .env file: tasks run in-process
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


def run(path: Path, *, port: int, youths: int, seed: int, serve: bool, started: float) -> None:
    echo = typer.echo
    echo("Glansrijk demo: synthetic youths, fake OINs and BSNs, on the embedded default")
    demo_report.step("database", f"{path} (SQLite; tasks run in this process)")
    admin.migrate()
    demo_report.step("schema", f"migrated ({time.monotonic() - started:.1f} s)")
    keys = create_partners()
    demo_report.step("partners", f"{len(keys)} demo partners, one API key each")
    server = BackgroundServer(port)
    server.start()
    try:
        as_of = today()
        outcome = Outcome(base_url=server.base_url, database=path, keys=keys, as_of=as_of, routes=server.routes)
        demo_report.step("server", f"{server.base_url} (intake, signals and reporting in one process)")
        events = generate(youths, seed, as_of)
        demo_report.step("youths", f"{youths} generated (seed {seed}, as of {as_of}): {len(events)} events")
        with httpx.Client(base_url=server.base_url, timeout=60.0) as client:
            post_population(client, outcome, events)
            post_invalid(client, outcome, as_of)
            post_again(client, outcome, events)
            admin.wait_for_tasks()
            signals = signal_counts(client, outcome)
        demo_report.summary(outcome, signals)
        if serve:
            demo_report.serving(outcome)
            server.wait()
        else:
            demo_report.stopped(outcome)
    finally:
        server.stop()
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


class BackgroundServer:
    """The three APIs under uvicorn on a thread of this process, on a socket bound before it starts."""

    def __init__(self, port: int) -> None:
        import uvicorn

        from services.app import build_app

        app = build_app("all")
        self.routes = frozenset(str(getattr(route, "path", "")) for route in app.routes)
        self.socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            self.socket.bind(("127.0.0.1", port))
        except OSError as exc:
            self.socket.close()
            raise DemoError(f"cannot listen on 127.0.0.1:{port} ({exc.strerror}); try --port 0") from exc
        self.port = int(self.socket.getsockname()[1])
        self.base_url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(app, log_level="warning", access_log=False, server_header=False)
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(
            target=self.server.run, kwargs={"sockets": [self.socket]}, name="glansrijk-demo-api", daemon=True
        )

    def start(self) -> None:
        self.thread.start()
        deadline = time.monotonic() + HEALTH_TIMEOUT
        while time.monotonic() < deadline:
            if not self.thread.is_alive():
                raise DemoError("the API server stopped while starting")
            with suppress(httpx.TransportError):
                if httpx.get(f"{self.base_url}/intake/v1/health", timeout=2.0).status_code == 200:
                    return
            time.sleep(0.05)
        raise DemoError(f"{self.base_url}/intake/v1/health did not answer within {HEALTH_TIMEOUT:.0f} s")

    def wait(self) -> None:
        """Until Ctrl-C (or SIGTERM)."""
        if threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGTERM, lambda *_: setattr(self.server, "should_exit", True))
        try:
            while self.thread.is_alive():
                self.thread.join(0.5)
        except KeyboardInterrupt:
            typer.echo("\nstopping")

    def stop(self) -> None:
        self.server.should_exit = True
        if self.thread.is_alive():
            self.thread.join(10)
        self.socket.close()


def _post(client: httpx.Client, key: DemoKey, bodies: Sequence[dict[str, Any]]) -> httpx.Response:
    headers = {**key.headers, "Content-Type": BATCH}
    return client.post("/intake/v1/events", content=json.dumps(bodies), headers=headers)


def _accepted(response: httpx.Response) -> dict[str, Any]:
    if response.status_code != 202:
        raise DemoError(f"the intake answered {response.status_code}: {response.text[:1000]}")
    answer: dict[str, Any] = response.json()
    return answer


def _batches(outcome: Outcome, events: list[DemoEvent]) -> Iterator[tuple[DemoKey, list[DemoEvent]]]:
    """Each partner's events from its own key, in requests of at most BATCH_SIZE events."""
    for key in outcome.keys:
        mine = [e for e in events if e.partner == key.partner.handle]
        for start in range(0, len(mine), BATCH_SIZE):
            yield key, mine[start : start + BATCH_SIZE]


def _record(outcome: Outcome, key: DemoKey, batch: list[DemoEvent], answer: dict[str, Any]) -> None:
    for result in answer["results"]:
        outcome.tally.add(key.partner, batch[result["index"]].type, result["status"])


def post_population(client: httpx.Client, outcome: Outcome, events: list[DemoEvent]) -> None:
    progress = demo_report.Progress("posting", len(events))
    requests = 0
    for key, batch in _batches(outcome, events):
        answer = _accepted(_post(client, key, [e.body for e in batch]))
        _record(outcome, key, batch, answer)
        requests += 1
        progress.advance(len(batch))
    progress.finish(f"events in {requests} requests of at most {BATCH_SIZE}")


def post_invalid(client: httpx.Client, outcome: Outcome, as_of: date) -> None:
    """One request of deliberately invalid events: the whole request answers 400 and stores nothing."""
    bodies = bad_events(as_of)
    key = next(k for k in outcome.keys if k.partner.handle == "vo")
    response = _post(client, key, bodies)
    if response.status_code != 400:
        raise DemoError(f"the invalid events were answered {response.status_code}, not 400: {response.text[:500]}")
    outcome.invalid_status = response.status_code
    outcome.invalid_params = list(response.json().get("invalidParams", []))
    for body in bodies:
        outcome.tally.add(key.partner, str(body["type"]), "rejected")


def post_again(client: httpx.Client, outcome: Outcome, events: list[DemoEvent]) -> None:
    """The first request once more: every event is a duplicate and nothing is stored twice."""
    key, batch = next(_batches(outcome, events))
    answer = _accepted(_post(client, key, [e.body for e in batch]))
    _record(outcome, key, batch, answer)
    outcome.repost = {"events": len(batch), "accepted": answer["accepted"], "duplicates": answer["duplicates"]}


def signal_counts(client: httpx.Client, outcome: Outcome) -> Counter[str] | None:
    """Signals per type as the partners they are routed to see them; None while the signals API has none."""
    counts: Counter[str] = Counter()
    for key in outcome.keys:
        if Scope.SIGNALS_READ not in key.partner.scopes:
            continue
        url: str | None = demo_report.SIGNALS_ROUTE
        while url:
            response = client.get(url, headers=key.headers)
            if response.status_code == 404 and url == demo_report.SIGNALS_ROUTE:
                return None  # a build without the signals API
            if response.status_code != 200:
                raise DemoError(f"{demo_report.SIGNALS_ROUTE} answered {response.status_code}: {response.text[:300]}")
            page = response.json()
            counts.update(item["type"] for item in page["items"] if item.get("relation", "routed") == "routed")
            url = page.get("next")
    return counts
