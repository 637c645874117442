# SPDX-License-Identifier: EUPL-1.2
"""Reporting test helpers: a world of youths posted through intake, the refresh entry point, and reads of the
reporting API."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from services.core.settings import reset_settings
from services.reporting.tasks import run_refresh
from tests.factories import TestPartner, bsn
from tests.signals.support import World, Youth

BASE = "/reporting/v1"


@dataclass
class ReportWorld(World):
    def resident(self, birth: date | None, *, district: str = "WK050501", since: date = date(2010, 1, 1)) -> Youth:
        """A youth registered by the municipality in `district` since `since`."""
        youth = Youth(self, bsn())
        person: dict[str, Any] = {"bsn": youth.bsn}
        if birth is not None:
            person["birthDate"] = birth.isoformat()
        data = {"since": since.isoformat(), "districtCode": district}
        self.queue(self.partners.municipality, "person.registered", data, person)
        return youth

    def refresh(self, today: date, first: date) -> None:
        """Post what is queued with the clock on `today`, then refresh the month-ends from `first` on."""
        self.env.setenv("GLANSRIJK_TODAY", today.isoformat())
        reset_settings()
        self.flush()
        run_refresh(today, first)

    def exact(self) -> None:
        """No rounding and no suppression: the indicator tests check the arithmetic (disclosure has its own)."""
        self.env.setenv("GLANSRIJK_DISCLOSURE_K", "1")
        self.env.setenv("GLANSRIJK_ROUNDING_BASE", "1")
        reset_settings()

    def observations(self, reader: TestPartner, code: str, **query: str) -> list[dict[str, Any]]:
        response = self.client.get(f"{BASE}/indicators/{code}/observations", params=query, headers=reader.headers)
        assert response.status_code == 200, response.text
        items: list[dict[str, Any]] = response.json()["items"]
        return items


def cell(items: list[dict[str, Any]], **match: str) -> dict[str, Any]:
    """The one row whose columns equal `match` (other dimension columns are whatever they are)."""
    found = [item for item in items if all(item.get(k) == v for k, v in match.items())]
    assert len(found) == 1, (match, found)
    return found[0]
