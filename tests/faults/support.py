# SPDX-License-Identifier: EUPL-1.2
"""The fault suite's shared parts: truant youths as events, posting them, waiting, and the invariants every
fault test ends with ("nothing lost", design.md):

- every event answered 202 is stored exactly once;
- every signal the rules imply exists exactly once;
- every delivery is delivered, failed for good or skipped, and none is missing.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime
from typing import Any

import httpx
from sqlalchemy import text

from services.core.db import get_engine
from tests.factories import TestPartner, bsn, event
from tests.intake.support import SCHOOL_BRIN, Partners

TODAY = "2026-02-06"
WEEKS = (date(2026, 1, 12), date(2026, 1, 19), date(2026, 1, 26), date(2026, 2, 2))
BATCH = {"Content-Type": "application/cloudevents-batch+json"}
RAISED = "nl.glansrijk.signal.raised"


def sql(query: str, **params: Any) -> Any:
    with get_engine().connect() as connection:
        return connection.execute(text(query), params).scalar_one()


def signal_count(type_: str = "absence-16h") -> int:
    return int(sql("SELECT count(*) FROM signals WHERE type = :type", type=type_))


def unevaluated() -> int:
    return int(sql("SELECT count(*) FROM event_batches WHERE evaluated_at IS NULL"))


def wait_until(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def truant_events(partners: Partners, youths: int) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """School events (an enrolment and 16 unauthorised hours in 4 lesweken) and registrations for `youths`:
    each youth raises one `absence-16h` (for leerplicht) and one `dropout-risk` (for the school) on TODAY."""
    school, registrations = [], []
    moment = datetime(2026, 2, 5, 12, tzinfo=UTC)
    for _ in range(youths):
        person = {"bsn": bsn()}
        enrolment = {
            "episodeId": "e1",
            "brin": SCHOOL_BRIN,
            "sector": "vo",
            "track": "havo",
            "grade": 3,
            "finalYear": False,
            "startDate": "2025-08-18",
        }
        school.append(event(partners.school, "education.enrolled", enrolment, person=person, time=moment))
        for week in WEEKS:
            hours = {
                "brin": SCHOOL_BRIN,
                "weekStart": week.isoformat(),
                "scheduledHours": 26,
                "unauthorizedHours": 4,
                "authorizedHours": 0,
            }
            school.append(event(partners.school, "education.absence-reported", hours, person=person, time=moment))
        registered = {"since": "2011-05-05", "districtCode": "WK050501"}
        registrations.append(
            event(
                partners.municipality,
                "person.registered",
                registered,
                person={**person, "birthDate": "2011-05-05"},
                time=moment,
            )
        )
    return school, registrations


def post_all(base: str, partner: TestPartner, events: list[dict[str, Any]]) -> None:
    headers = {**partner.headers, **BATCH}
    for start in range(0, len(events), 1000):
        body = json.dumps(events[start : start + 1000])
        response = httpx.post(f"{base}/intake/v1/events", content=body, headers=headers, timeout=60)
        assert response.status_code == 202, response.text


# -- the invariants ---------------------------------------------------------------------------------------------
def assert_stored_once(accepted: Iterable[tuple[str, str]]) -> None:
    """Every (source, id) answered 202 is in the event store, once (the unique key makes twice impossible)."""
    wanted = set(accepted)
    with get_engine().connect() as connection:
        stored = {
            (source, event_id) for source, event_id in connection.execute(text("SELECT source, event_id FROM events"))
        }
    missing = wanted - stored
    assert not missing, f"{len(missing)} accepted events are not stored, e.g. {sorted(missing)[:3]}"


def assert_signals_once(type_: str, youths: int) -> None:
    """The rules imply one signal of `type_` for each of `youths` youths: exactly that many, one per youth."""
    assert signal_count(type_) == youths
    assert int(sql("SELECT count(DISTINCT youth_id) FROM signals WHERE type = :type", type=type_)) == youths


def assert_deliveries_complete() -> None:
    """Each signal routed to a partner with a subscription to `signal.raised` has a delivery to it, and no
    delivery is still on its way: each succeeded, failed for good or was skipped."""
    missing = int(
        sql(
            """
            SELECT count(*) FROM signals s
            JOIN subscriptions sub ON sub.partner_id = s.routed_to
            WHERE (sub.types @> :raised OR sub.types @> '["*"]' OR sub.types @> '["nl.glansrijk.signal.*"]')
              AND NOT EXISTS (
                SELECT 1 FROM deliveries d
                WHERE d.subscription_id = sub.id AND d.type = :type
                  AND d.payload -> 'data' ->> 'signalId' = s.id::text
              )
            """,
            raised=json.dumps([RAISED]),
            type=RAISED,
        )
    )
    assert missing == 0, f"{missing} signals have no delivery to their partner's subscription"
    pending = int(sql("SELECT count(*) FROM deliveries WHERE status = 'pending'"))
    assert pending == 0, f"{pending} deliveries are still pending"
