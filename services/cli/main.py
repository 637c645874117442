# SPDX-License-Identifier: EUPL-1.2
"""`glansrijk`: migrate, serve, worker, beat, partners, keys, import, rebuild-state, simulate, demo."""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
import uuid
from datetime import date, timedelta
from pathlib import Path
from typing import Annotated

import typer

from services.cli import admin
from services.cli.demo import demo
from services.cli.key_rotation import secrets_app
from services.cli.status import status
from services.core.settings import get_settings
from services.privacy.cli import retention, youths_app
from services.simulator.cli import simulate

app = typer.Typer(help="Glansrijk: keep youths 12-27 in view on their way to school and work.", no_args_is_help=True)
partners_app = typer.Typer(help="Partner organisations (managed here only: there is no HTTP admin API).")
keys_app = typer.Typer(help="API keys: shown once, stored hashed.")
app.add_typer(partners_app, name="partners")
app.add_typer(keys_app, name="keys")
app.add_typer(secrets_app, name="secrets")
app.command("demo")(demo)
app.command("status")(status)
app.command("simulate")(simulate)
app.add_typer(youths_app, name="youths")
app.command("retention")(retention)

ROOT = Path(__file__).resolve().parents[2]


def _fail(message: str, code: int = 1) -> None:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


@app.command()
def migrate() -> None:
    """Create or upgrade the schema of the configured database."""
    admin.migrate()
    typer.echo("schema is up to date")


@app.command()
def serve(
    which: Annotated[str, typer.Argument(help="all | intake | signals | reporting")] = "all",
    host: Annotated[str, typer.Option()] = "127.0.0.1",
    port: Annotated[int, typer.Option()] = 8000,
    workers: Annotated[int, typer.Option(help="processes (not with the embedded default)")] = 1,
) -> None:
    """Serve the APIs (`all`: the three in one process, each under its own base path)."""
    import uvicorn

    if which not in ("all", "intake", "signals", "reporting"):
        _fail("serve takes all, intake, signals or reporting", 2)
    factory = {"all": "all_services"}.get(which, which)
    uvicorn.run(
        f"services.app:{factory}",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        proxy_headers=True,
        server_header=False,
        log_level="info",
        access_log=False,
    )


@app.command()
def worker(
    concurrency: Annotated[int, typer.Option(help="worker processes")] = 2,
    queues: Annotated[
        str, typer.Option(help="comma-separated queues: celery (evaluation), webhooks")
    ] = "celery,webhooks",
    hostname: Annotated[str | None, typer.Option(help="node name; default glansrijk-<pid>@<host>")] = None,
) -> None:
    """Run a Celery worker (needs GLANSRIJK_REDIS_URL)."""
    if get_settings().embedded:
        _fail("the worker needs GLANSRIJK_REDIS_URL; the embedded default runs tasks in-process", 2)
    from services.core.celery_app import celery_app

    # A node name per process: two workers on one host must not answer monitoring under one name.
    name = hostname or f"glansrijk-{os.getpid()}@%h"
    celery_app.worker_main(
        ["worker", "--loglevel=INFO", f"--concurrency={concurrency}", f"--queues={queues}", f"--hostname={name}"]
    )


@app.command()
def beat() -> None:
    """Run the one Celery beat that schedules the daily scans and sweeps (run exactly one)."""
    if get_settings().embedded:
        _fail("beat needs GLANSRIJK_REDIS_URL", 2)
    from services.core.celery_app import celery_app

    # One schedule file per deployment (database and broker): beats of different deployments on one machine
    # (test runs, a staging beside production) never share one.
    settings = get_settings()
    deployment = hashlib.sha256(f"{settings.database_url}|{settings.redis_url}".encode()).hexdigest()[:12]
    schedule = Path(tempfile.gettempdir()) / f"glansrijk-beat-schedule-{deployment}"
    celery_app.start(["beat", "--loglevel=INFO", f"--schedule={schedule}"])


@app.command()
def scan(
    day: Annotated[str | None, typer.Option("--date", help="YYYY-MM-DD; default today")] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Evaluate every event not yet evaluated, then the daily time-driven evaluation as of a date; waits for it.

    Safe to run twice: a dedupe key raises at most one signal. Exits 2 when no partner holds `municipality`.
    """
    from services.core.calendar import data_covers
    from services.core.clock import today

    try:
        as_of = date.fromisoformat(day) if day else today()
    except ValueError:
        _fail(f"--date must be YYYY-MM-DD, not {day!r}", 2)
    if not admin.has_municipality():
        _fail("no partner holds the role municipality (the ketenregisseur): signals could not be routed", 2)
    if not data_covers(as_of):
        typer.echo(
            f"warning: no school holiday data for {as_of}: lesweek-based rules do not fire on this date", err=True
        )
    from services.signals.evaluation import runner

    outcome = runner.scan(as_of)
    summary = {"date": as_of.isoformat(), **outcome.as_json()}
    typer.echo(json.dumps(summary) if as_json else " ".join(f"{k}={v}" for k, v in summary.items()))


def _split(value: str | None) -> list[str]:
    return [part.strip() for part in (value or "").split(",") if part.strip()]


@partners_app.command("add")
def partners_add(
    name: Annotated[str, typer.Option()],
    roles: Annotated[str, typer.Option(help="comma-separated roles")],
    oin: Annotated[str | None, typer.Option(help="20 digits")] = None,
    kvk: Annotated[str | None, typer.Option(help="8 digits")] = None,
    brin: Annotated[str | None, typer.Option(help="comma-separated BRIN codes; BRIN:region to set a region")] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Register a partner organisation."""
    try:
        partner_id = admin.add_partner(name=name, roles=_split(roles), oin=oin, kvk=kvk, brins=_split(brin))
    except ValueError as exc:
        _fail(str(exc), 2)
    typer.echo(json.dumps({"id": str(partner_id)}) if as_json else f"partner {partner_id} added")


@partners_app.command("list")
def partners_list(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """List partners, first registered first."""
    partners = admin.list_partners()
    if as_json:
        typer.echo(json.dumps(partners))
        return
    for p in partners:
        typer.echo(f"{p['id']}  {p['name']}  roles={','.join(p['roles'])}  brins={','.join(p['brins'])}")


_DURATION = re.compile(r"^(\d+)([dh])$")


def _duration(option: str, value: str) -> timedelta:
    match = _DURATION.match(value)
    if match is None:
        _fail(f"{option} takes a number with d or h, e.g. 90d", 2)
        raise AssertionError  # _fail exits
    amount, unit = int(match.group(1)), match.group(2)
    return timedelta(days=amount) if unit == "d" else timedelta(hours=amount)


@keys_app.command("create")
def keys_create(
    partner: Annotated[str, typer.Option(help="partner id")],
    scopes: Annotated[str, typer.Option(help="comma-separated scopes")],
    expires_in: Annotated[str | None, typer.Option(help="e.g. 90d or 12h")] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Create an API key; the plain key is printed once and never again."""
    expires = admin.now() + _duration("--expires-in", expires_in) if expires_in else None
    try:
        key_id, plain = admin.create_key(_uuid(partner), _split(scopes), expires)
    except ValueError as exc:
        _fail(str(exc), 2)
    if as_json:
        typer.echo(json.dumps({"id": str(key_id), "key": plain}))
    else:
        typer.echo(f"key id {key_id}\nkey    {plain}\n(shown only now: store it in the partner's secret store)")


@keys_app.command("rotate")
def keys_rotate(
    key_id: Annotated[str, typer.Argument()],
    grace: Annotated[str, typer.Option(help="how long the old key keeps working, e.g. 24h or 7d")] = "24h",
    expires_in: Annotated[str | None, typer.Option(help="the new key's lifetime, e.g. 365d")] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """A new key for the same partner and scopes; the old one expires after the grace period (docs/security.md)."""
    period = _duration("--grace", grace)
    expires = admin.now() + _duration("--expires-in", expires_in) if expires_in else None
    try:
        new_id, plain = admin.rotate_key(_uuid(key_id), period, expires)
    except ValueError as exc:
        _fail(str(exc), 2)
    if as_json:
        typer.echo(json.dumps({"id": str(new_id), "key": plain, "replaces": key_id}))
    else:
        typer.echo(f"key id {new_id}\nkey    {plain}\n(shown only now; key {key_id} stops working after {grace})")


@keys_app.command("list")
def keys_list(
    partner: Annotated[str | None, typer.Option(help="only this partner's keys")] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Keys with their scopes, state and last use (never the key itself)."""
    keys = admin.list_keys(_uuid(partner) if partner else None)
    if as_json:
        typer.echo(json.dumps(keys))
        return
    for k in keys:
        typer.echo(
            f"{k['id']}  partner={k['partnerId']}  {k['state']}  scopes={','.join(k['scopes'])}  "
            f"expires={k['expiresAt'] or '-'}  lastUsed={k['lastUsedAt'] or '-'}"
        )


@keys_app.command("revoke")
def keys_revoke(key_id: Annotated[str, typer.Argument()]) -> None:
    """Revoke a key at once."""
    if not admin.revoke_key(_uuid(key_id)):
        _fail(f"no active key {key_id}")
    typer.echo(f"key {key_id} revoked")


def _uuid(value: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError:
        _fail(f"{value!r} is not an id", 2)
        raise


@app.command("import")
def import_events(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True)],
    partner: Annotated[str, typer.Option(help="the partner whose events these are")],
    no_signals: Annotated[bool, typer.Option("--no-signals", help="load history: state and reporting only")] = False,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Load CloudEvents from a JSON Lines file through the intake checks; idempotent on a re-run."""
    from services.intake.importer import import_file

    try:
        report = import_file(file, _uuid(partner), raise_signals=not no_signals)
    except ValueError as exc:
        _fail(str(exc), 2)
        return
    if as_json:
        typer.echo(json.dumps(report.as_dict()))
    else:
        typer.echo(f"{report.accepted} accepted, {report.duplicates} duplicates, {len(report.rejected)} rejected")
        for reject in report.rejected:
            reasons = "; ".join(f"{r['name'] or '(event)'}: {r['reason']}" for r in reject["reasons"])
            typer.echo(f"line {reject['line']}: {reasons}")
    admin.wait_for_tasks()
    if report.rejected:
        raise typer.Exit(1)


@app.command("refresh-reports")
def refresh_reports(
    first: Annotated[
        str | None, typer.Option("--from", help="first month-end YYYY-MM-DD; default 4 years back")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Bring the reporting snapshots and aggregates up to date (what beat runs daily; cron it when embedded)."""
    from services.core.clock import today
    from services.reporting.tasks import run_refresh

    try:
        since = date.fromisoformat(first) if first else None
    except ValueError:
        _fail(f"--from must be YYYY-MM-DD, not {first!r}", 2)
    outcome = run_refresh(today(), since)
    summary = {"monthEnds": [d.isoformat() for d in outcome.month_ends], "youthMonths": outcome.youth_months}
    typer.echo(json.dumps(summary) if as_json else f"month-ends={len(outcome.month_ends)} rows={outcome.youth_months}")


@app.command("rebuild-state")
def rebuild_state() -> None:
    """Rebuild every youth's state from the event store (the result equals the incremental state)."""
    replayed = admin.rebuild_state()
    typer.echo(f"state rebuilt from {replayed} events")


def main() -> None:  # pragma: no cover - console entry for `python -m services.cli.main`
    app(prog_name="glansrijk")


if __name__ == "__main__":  # pragma: no cover
    main()
