# SPDX-License-Identifier: EUPL-1.2
"""What `glansrijk demo` prints: steps, a progress line, the summary and where to look next (plain text)."""

from __future__ import annotations

import sys
import time
from collections import Counter
from typing import TYPE_CHECKING, Any

import typer

from services.cli.demo_data import PREFIX
from services.cli.demo_queries import projection_counts

if TYPE_CHECKING:
    from services.cli.demo import Outcome
    from services.cli.demo_read import Reports, Signals
    from services.cli.demo_webhooks import Received

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
        self.update(self.done + count)

    def update(self, done: int) -> None:
        changed = done != self.done
        self.done = done
        if self.live and changed:
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


def summary(outcome: Outcome, signals: Signals | None, reports: Reports, received: Received) -> None:
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
    if repost:
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
        _signals(outcome, signals)
        _webhooks(outcome, received)
    else:
        echo("Signals: this build has no signals API, so no signals are raised.")
    _reporting(reports)
    _next(outcome)


def _signals(outcome: Outcome, signals: Signals) -> None:
    echo(f"Signals raised so far (as of {outcome.as_of}, read through the signals API by the partners they")
    echo(f"are routed to): {signals.total}")
    for kind, count in sorted(signals.by_type.items()):
        echo(f"  {kind:<24}{count}")
    echo()
    echo("Signals per partner (routed to it)")
    for partner, per_type in signals.by_partner.items():
        if per_type:
            kinds = ", ".join(f"{kind} {count}" for kind, count in sorted(per_type.items()))
            echo(f"  {partner:<{WIDTH - 2}}{sum(per_type.values()):>6}  {kinds}")
    if signals.examples:
        echo()
        echo("Example signals, with the reasons a person can check by hand")
    for partner, item in signals.examples:
        youth = item.get("youth") or {}
        echo(
            f"  {item['type']} ({item['severity']}, deadline {item['deadline']}) for {partner}: "
            f"youth aged {youth.get('age', '?')}, sector {youth.get('sector') or 'none'}"
        )
        for reason in item.get("reasons", []):
            echo(f"    {reason['code']:<28}{_facts(reason.get('facts'))}")
    echo("  The time-driven rules (birthdays, 90 days out of view, deadlines) run daily: `glansrijk scan`.")


def _facts(facts: Any) -> str:
    if not facts:
        return ""
    text = ", ".join(f"{k}={v}" for k, v in facts.items()) if isinstance(facts, dict) else str(facts)
    return text if len(text) <= 90 else text[:87] + "..."


def _webhooks(outcome: Outcome, received: Received) -> None:
    echo()
    echo(f"Webhooks received by the demo's caseworker apps (signed, verified): {received.total}")
    names = {key.partner.handle: key.partner.name for key in outcome.keys}
    for handle, per_type in sorted(received.by_partner.items()):
        kinds = ", ".join(f"{kind} {count}" for kind, count in sorted(per_type.items()))
        echo(f"  {names.get(handle, handle):<{WIDTH - 2}}{sum(per_type.values()):>6}  {kinds}")
    if received.unverified:
        echo(f"  {received.unverified} deliveries did not verify")


def _reporting(reports: Reports) -> None:
    echo()
    if not reports.available:
        echo("Reporting: this build has no reporting API.")
        return
    echo(f"Groups on {reports.month_end} (reporting, rounded to 5, small counts suppressed)")
    labels = {"1-in-view": "in view", "2-out-of-view": "out of view", "3-at-risk": "at risk", "T001": "total"}
    for group, value in sorted(reports.groups.items()):
        shown = "suppressed" if value is None else str(value)
        echo(f"  {group:<16}{shown:>10}  {labels.get(group, '')}")
    if not reports.groups:
        echo("  none yet")
    echo("  (accountability and acknowledged signals start today: they fill the groups from the next month-end)")
    echo()
    echo("Indicators, the last whole month")
    for code, row in reports.indicators.items():
        shown = "suppressed" if row.get("suppressed") else str(row.get("value"))
        parts = f" ({row.get('numerator')} of {row.get('denominator')})" if row.get("denominator") else ""
        echo(f"  {code:<26}{row['period']:<10}{shown:>10}{parts}")


def _next(outcome: Outcome) -> None:
    base = outcome.base_url
    echo()
    echo("Where to look next")
    for service in SERVICES:
        step(service, f"{base}/{service}/v1/docs   {base}/{service}/v1/openapi.json")
    step("odata", f"{base}/reporting/v1/odata (Power BI, Tableau, Superset; HTTP Basic: key id and key)")
    echo()
    echo(f"Demo API keys (demo data, valid only in {outcome.database}):")
    for key in outcome.keys:
        roles = ",".join(r.value for r in key.partner.roles)
        echo(f"  {key.partner.name:<{WIDTH - 2}}{roles:<17}{key.key}")
    municipality = outcome.keys[0]
    day = outcome.as_of.isoformat()
    event = TRY_EVENT % (municipality.partner.source, day, day)
    echo()
    echo("Try it yourself: the signals routed to the doorstroompunt, or one event (structured mode):")
    doorstroompunt = next((k for k in outcome.keys if k.partner.handle == "doorstroompunt"), municipality)
    echo(f"  curl -s {base}/signals/v1/signals -H 'Authorization: Bearer {doorstroompunt.key}' -H 'X-Purpose: demo'")
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
