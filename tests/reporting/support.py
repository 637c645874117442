# SPDX-License-Identifier: EUPL-1.2
"""Reporting test helpers: a world of youths posted through intake, the refresh entry point, and reads of the
reporting API."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any

from sqlalchemy import select

from services.core.db import transaction
from services.core.models import Accountability, Handover, Signal, SignalChange, YouthProfile
from services.core.settings import reset_settings
from services.reporting.tasks import run_refresh
from services.signals.rules.catalogue import SIGNAL_TYPES
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


def youth_id_born(birth: date) -> uuid.UUID:
    """The internal id of the one youth with this birth date (tests give each youth its own)."""
    with transaction(read_only=True) as session:
        return session.scalars(select(YouthProfile.youth_id).where(YouthProfile.birth_date == birth)).one()


def utc(day: date, hour: int = 10) -> datetime:
    return datetime.combine(day, time(hour), UTC)


def put_signal(
    youth_id: uuid.UUID,
    type_: str,
    routed_to: str,
    raised_on: date,
    deadline: date,
    *,
    acknowledged: date | None = None,
    closed: tuple[date, str] | None = None,
    escalated: date | None = None,
    dedupe_key: str | None = None,
) -> uuid.UUID:
    """A stored signal with its history, written as the evaluation and the signals API would leave it: the
    hand-made population of the signal indicators (their dates are the point, not how they came about)."""
    signal_id = uuid.uuid4()
    severity = SIGNAL_TYPES[type_].severity
    status = closed[1] if closed else ("acknowledged" if acknowledged else "open")
    with transaction() as session:
        session.add(
            Signal(
                id=signal_id,
                youth_id=youth_id,
                type=type_,
                severity=severity,
                status=status,
                dedupe_key=dedupe_key or raised_on.isoformat(),
                raised_on=raised_on,
                deadline=deadline,
                escalated=escalated is not None,
                escalated_at=utc(escalated) if escalated else None,
                routed_to=uuid.UUID(routed_to),
                reasons=[],
                created_at=utc(raised_on, 5),
                acknowledged_at=utc(acknowledged) if acknowledged else None,
                closed_at=utc(closed[0]) if closed else None,
            )
        )
        session.flush()
        session.add(SignalChange(signal_id=signal_id, at=utc(raised_on, 5), kind="raised", status="open"))
        if acknowledged:
            session.add(SignalChange(signal_id=signal_id, at=utc(acknowledged), kind="status", status="acknowledged"))
        if closed:
            session.add(SignalChange(signal_id=signal_id, at=utc(closed[0]), kind="status", status=closed[1]))
    return signal_id


def put_accountability(youth_id: uuid.UUID, partner_id: str, since: date) -> None:
    with transaction() as session:
        session.add(
            Accountability(youth_id=youth_id, partner_id=uuid.UUID(partner_id), since=utc(since), cause="first-signal")
        )


def put_handover(youth_id: uuid.UUID, sender: str, receiver: str, requested: date, answered: date, status: str) -> None:
    with transaction() as session:
        session.add(
            Handover(
                youth_id=youth_id,
                from_partner_id=uuid.UUID(sender),
                to_partner_id=uuid.UUID(receiver),
                reason="test",
                status=status,
                requested_at=utc(requested, 9),
                answered_at=utc(answered, 9),
            )
        )
