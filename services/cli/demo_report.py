# SPDX-License-Identifier: EUPL-1.2
"""What `glansrijk demo` prints: steps, a progress line, the summary and where to look next (plain text)."""

from __future__ import annotations

import sys
import time
from collections import Counter
from typing import TYPE_CHECKING

import typer

from services.cli.demo_data import PREFIX
from services.cli.demo_queries import projection_counts

if TYPE_CHECKING:
    from services.cli.demo import Outcome

SIGNALS_ROUTE = "/signals/v1/signals"
REPORTING_ROUTE = "/reporting/v1/indicators"
SERVICES = ("intake", "signals", "reporting")
OUTCOMES = ("accepted", "duplicate", "rejected")
WIDTH = 44
BAR = 30
TRY_EVENT = (
    '{"specversion": "1.0", "id": "try-1", "source": "%s", "type": "nl.glansrijk.support.contact", '
    '"time": "%sT09:00:00Z", "data": {"person": {"bsn": "111222333"}, "date": "%s", "channel": "phone"}}'
)


def echo(line: str = "") -> None:
    typer.echo(line)


def step(label: str, text: str) -> None:
    echo(f"  {label:<12}{text}")


class Progress:
    """One line that redraws itself on a terminal; elsewhere (logs, tests) only the final state is printed."""

    def __init__(self, label: str, total: int) -> None:
        self.label, self.total, self.done = label, total, 0
        self.started = time.monotonic()
        self.live = sys.stdout.isatty()

    def _line(self) -> str:
        filled = BAR * self.done // max(1, self.total)
        return f"  {self.label:<12}[{'#' * filled}{'.' * (BAR - filled)}] {self.done}/{self.total}"

    def advance(self, count: int) -> None:
        self.done += count
        if self.live:
            typer.echo("\r" + self._line(), nl=False)

    def finish(self, what: str) -> None:
        prefix = "\r" if self.live else ""
        typer.echo(f"{prefix}{self._line()} {what} ({time.monotonic() - self.started:.1f} s)")


def _table(title: str, rows: dict[str, Counter[str]], shorten: bool = False) -> None:
    echo()
    echo(f"{title:<{WIDTH}}{'accepted':>10}{'duplicate':>11}{'rejected':>10}")
    total: Counter[str] = Counter()
    for name in sorted(rows):
        counts = rows[name]
        total.update(counts)
        label = name.removeprefix(PREFIX) if shorten else name
        echo(
            f"  {label:<{WIDTH - 2}}"
            + "".join(f"{counts[o]:>{w}}" for o, w in zip(OUTCOMES, (10, 11, 10), strict=True))
        )
    echo(f"  {'total':<{WIDTH - 2}}" + "".join(f"{total[o]:>{w}}" for o, w in zip(OUTCOMES, (10, 11, 10), strict=True)))


def _per_kind(counts: dict[str, int]) -> str:
    return ", ".join(f"{kind} {count}" for kind, count in counts.items()) or "none"


def summary(outcome: Outcome, signals: Counter[str] | None) -> None:
    _table("Intake answers per event type", outcome.tally.by_type, shorten=True)
    _table("Intake answers per partner", outcome.tally.by_partner)

    echo()
    rejected = sum(c["rejected"] for c in outcome.tally.by_type.values())
    echo(
        f"One request with {rejected} deliberately invalid events answered {outcome.invalid_status} "
        "(application/problem+json; nothing of it was stored). Its invalidParams:"
    )
    for param in outcome.invalid_params:
        echo(f"  {param['name']:<30}{param['reason']}")
    repost = outcome.repost
    echo(
        f"The first request posted again: 202 with {repost['accepted']} accepted and {repost['duplicates']} "
        f"duplicates of {repost['events']} events (a (source, id) seen before stores nothing)."
    )

    counts = projection_counts()
    echo()
    echo("Stored and projected (read from the database)")
    step("events", f"{counts.events}")
    step("youths", f"{counts.youths}")
    step("registered", f"{counts.registered} (person.registered from the BRP)")
    step("enrolled", f"{counts.enrolled} (education.enrolled)")
    step("absence", f"{counts.absence_weeks} youth-weeks of reported hours")
    step("episodes", _per_kind(counts.episodes))
    step("facts", _per_kind(counts.facts))

    echo()
    if signals is not None:
        echo(f"Signals raised so far (as of {outcome.as_of}, read through the signals API by the partners they")
        echo(f"are routed to): {sum(signals.values())}")
        for kind, count in sorted(signals.items()):
            echo(f"  {kind:<24}{count}")
        echo("  The time-driven rules (birthdays, 90 days out of view, deadlines) run daily: `glansrijk scan`.")
    else:
        echo("Signals: this build has no signals API, so no signals are raised.")
    if REPORTING_ROUTE not in outcome.routes:
        echo("Reporting arrives with the next issue: for now it answers only /health, /docs and openapi.json.")

    base = outcome.base_url
    echo()
    echo("Where to look next")
    for service in SERVICES:
        step(service, f"{base}/{service}/v1/docs   {base}/{service}/v1/openapi.json")
    echo()
    echo(f"Demo API keys (demo data, valid only in {outcome.database}):")
    for key in outcome.keys:
        roles = ",".join(r.value for r in key.partner.roles)
        echo(f"  {key.partner.name:<{WIDTH - 2}}{roles:<17}{key.key}")
    municipality = outcome.keys[0]
    day = outcome.as_of.isoformat()
    event = TRY_EVENT % (municipality.partner.source, day, day)
    echo()
    echo("Try one event yourself (structured mode):")
    echo(
        f"  curl -s -X POST {base}/intake/v1/events -H 'Authorization: Bearer {municipality.key}' "
        f"-H 'Content-Type: application/cloudevents+json' -d '{event}'"
    )


def serving(outcome: Outcome) -> None:
    echo()
    echo(f"Serving on {outcome.base_url}: press Ctrl-C to stop.")


def stopped(outcome: Outcome) -> None:
    echo()
    echo(
        "The server stops with the demo. Keep it running with `glansrijk demo --serve`, or serve this database "
        f"later (the keys stay valid): GLANSRIJK_DATABASE_URL=sqlite:///{outcome.database} glansrijk serve all"
    )
