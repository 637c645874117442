# SPDX-License-Identifier: EUPL-1.2
"""The demo's deliberately invalid events (the population itself comes from `services.simulator`)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from services.cli.demo_partners import PARTNER_BY_HANDLE, VO_BRIN

PREFIX = "nl.glansrijk."


def _stamp(day: date, hour: int = 9) -> str:
    return datetime.combine(day, time(hour), tzinfo=UTC).isoformat().replace("+00:00", "Z")


def bad_events(today: date) -> list[dict[str, Any]]:
    """Three deliberately invalid events of the vo school, to show one 400 listing every failing field."""
    school = PARTNER_BY_HANDLE["vo"]
    tuesday = today - timedelta(days=today.weekday() + 6)
    base = {"specversion": "1.0", "source": school.source, "datacontenttype": "application/json"}
    return [
        {
            **base,
            "id": "demo-invalid-1",
            "type": PREFIX + "education.absence-reported",
            "time": _stamp(today),
            "data": {
                "person": {"bsn": "123456789"},
                "brin": VO_BRIN,
                "weekStart": tuesday.isoformat(),
                "scheduledHours": 28,
                "unauthorizedHours": 70,
                "authorizedHours": 0,
            },
        },
        {
            **base,
            "id": "demo-invalid-2",
            "type": PREFIX + "education.enrolled",
            "time": _stamp(today),
            "data": {
                "person": {"bsn": "111222333"},
                "episodeId": "demo-invalid",
                "brin": VO_BRIN,
                "sector": "vo",
                "track": "mbo-2",
                "grade": 7,
                "finalYear": False,
            },
        },
        {
            **base,
            "id": "demo-invalid-3",
            "type": PREFIX + "education.absence-reported",
            "time": "yesterday",
            "subject": "Jan Jansen",
            "data": {
                "person": {"bsn": "111222333"},
                "name": "Jan Jansen",
                "brin": VO_BRIN,
                "weekStart": (tuesday - timedelta(days=1)).isoformat(),
                "scheduledHours": 28,
                "unauthorizedHours": 2,
                "authorizedHours": 0,
            },
        },
    ]
