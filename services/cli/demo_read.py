# SPDX-License-Identifier: EUPL-1.2
"""The demo's reads through the public APIs: the signals as each partner sees them, groups and indicators."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import httpx

from services.cli.demo_server import DemoError
from services.core.scopes import Scope

if TYPE_CHECKING:
    from services.cli.demo import Outcome

SIGNALS_ROUTE = "/signals/v1/signals"
INDICATORS = ("participation-rate", "neet-rate", "thuiszitters", "out-of-view", "transition-plan-coverage")
EXAMPLES = 4


@dataclass
class Signals:
    """Signals routed to each partner, per type; a few examples (one per type, the first seen)."""

    by_type: Counter[str] = field(default_factory=Counter)
    by_partner: dict[str, Counter[str]] = field(default_factory=dict)
    examples: list[tuple[str, dict[str, Any]]] = field(default_factory=list)  # (partner name, signal)

    @property
    def total(self) -> int:
        return sum(self.by_type.values())


@dataclass
class Reports:
    month_end: str
    groups: dict[str, int | None] = field(default_factory=dict)
    indicators: dict[str, dict[str, Any]] = field(default_factory=dict)
    available: bool = True


def signals(client: httpx.Client, outcome: Outcome) -> Signals | None:
    """What each partner reads through the signals API; None for a build without it."""
    found = Signals()
    seen_types: set[str] = set()
    for key in outcome.keys:
        if Scope.SIGNALS_READ not in key.partner.scopes:
            continue
        mine: Counter[str] = Counter()
        url: str | None = SIGNALS_ROUTE
        while url:
            response = client.get(url, headers=key.headers)
            if response.status_code == 404 and url == SIGNALS_ROUTE:
                return None
            if response.status_code != 200:
                raise DemoError(f"{SIGNALS_ROUTE} answered {response.status_code}: {response.text[:300]}")
            page = response.json()
            for item in page["items"]:
                if item.get("relation", "routed") != "routed":
                    continue
                mine[item["type"]] += 1
                if item["type"] not in seen_types and len(found.examples) < EXAMPLES:
                    seen_types.add(item["type"])
                    found.examples.append((key.partner.name, item))
            url = page.get("next")
        found.by_type.update(mine)
        found.by_partner[key.partner.name] = mine
    return found


def reporting(client: httpx.Client, outcome: Outcome) -> Reports:
    """Groups on the last month-end and the latest month of a few indicators, read as the municipality."""
    month_end = outcome.as_of.replace(day=1) - timedelta(days=1)
    reports = Reports(month_end.isoformat())
    key = next(k for k in outcome.keys if Scope.REPORTING_READ in k.partner.scopes)
    groups = client.get("/reporting/v1/groups", params={"date": month_end.isoformat()}, headers=key.headers)
    if groups.status_code == 404:
        reports.available = False
        return reports
    if groups.status_code == 200:
        reports.groups = {item["group"]: item["value"] for item in groups.json()["items"]}
    first = outcome.start.replace(day=1).isoformat()
    for code in INDICATORS:
        params = {"period": "month", "from": first, "to": month_end.isoformat()}
        response = client.get(f"/reporting/v1/indicators/{code}/observations", params=params, headers=key.headers)
        if response.status_code != 200:
            continue
        items = response.json()["items"]
        if items:
            reports.indicators[code] = items[-1]
    return reports
