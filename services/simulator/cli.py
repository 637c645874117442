# SPDX-License-Identifier: EUPL-1.2
"""`glansrijk simulate`: the synthetic population as JSON Lines, with the calibration check beside it."""

from __future__ import annotations

import sys
import time
from collections import Counter
from datetime import date
from pathlib import Path
from typing import Annotated

import typer

from services.simulator.calibration import check, table
from services.simulator.stream import Config, Simulation, write_files


def _date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter("must be YYYY-MM-DD") from None


def simulate(
    youths: Annotated[int, typer.Option(min=1, max=2_000_000, help="youths aged 12 to 26 at the start")] = 10_000,
    start: Annotated[str, typer.Option(help="first simulated day, YYYY-MM-DD")] = "2025-09-01",
    months: Annotated[int, typer.Option(min=1, max=120, help="length of the simulated period")] = 12,
    seed: Annotated[int, typer.Option(help="the same seed and options give the same file")] = 2026,
    out: Annotated[Path, typer.Option(help="the JSON Lines file to write")] = Path("simulated.jsonl"),
    per_partner: Annotated[
        bool, typer.Option("--per-partner", help="one file per partner, FILE.<partner>.jsonl, for glansrijk import")
    ] = False,
    strict: Annotated[bool, typer.Option("--check", help="exit 1 when a calibrated rate misses its target")] = False,
) -> None:
    """Write a synthetic population's CloudEvents (demo data: fake BSNs, fake OINs) and check its calibration.

    The events come from the demo partners' sources (`glansrijk demo` registers them), in order of arrival, and
    pass the intake's checks. Deterministic for a seed.
    """
    first = _date(start)
    began = time.monotonic()
    simulation = Simulation(Config(youths=youths, start=first, months=months, seed=seed))
    counts = write_files(simulation, out, per_partner)
    took = time.monotonic() - began
    total = sum(counts.values())
    where = str(out) if not per_partner else ", ".join(str(out.with_suffix(f".{p}.jsonl")) for p in sorted(counts))
    typer.echo(
        f"{total} events of {youths} youths from {first} to {simulation.config.end} (seed {seed}) in {took:.1f} s: "
        f"{where}"
    )
    typer.echo(f"  {simulation.em.late} facts not arrived by the end (left out)")
    kinds = Counter(simulation.kinds)
    for kind, count in sorted(kinds.items()):
        typer.echo(f"  {kind:<34}{count:>10}")
    rows = check(simulation.stats)
    typer.echo("")
    typer.echo(table(rows))
    if strict and not all(row.ok for row in rows):
        typer.echo("error: a calibrated rate is outside its tolerance", err=True)
        raise typer.Exit(1)
    sys.stdout.flush()
