# SPDX-License-Identifier: EUPL-1.2
"""The one clock. Rules never read it: they get a date. Only entry points (requests, tasks, the CLI) do."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from services.core.settings import get_settings

AMSTERDAM = ZoneInfo("Europe/Amsterdam")


def utcnow() -> datetime:
    return datetime.now(UTC)


def today() -> date:
    """The evaluation date: `GLANSRIJK_TODAY` when set (tests, demos, replays), else today in Amsterdam."""
    fixed = get_settings().today
    return fixed if fixed is not None else datetime.now(AMSTERDAM).date()


def as_utc(moment: datetime) -> datetime:
    """A stored time stamp with its zone: SQLite returns time stamps without one, and everything stored is UTC."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def local_date(moment: datetime) -> date:
    """The Amsterdam date of a stored time stamp."""
    return as_utc(moment).astimezone(AMSTERDAM).date()
