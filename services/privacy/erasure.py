# SPDX-License-Identifier: EUPL-1.2
"""Erasure (AVG art. 17) and retention: a youth's personal data goes, published numbers stay (ADR 0027).

The retention run erases youths without activity for `GLANSRIJK_RETENTION_YEARS` that are outside the target
group today and have no active signal (while either holds, a partner still has a task for the youth), and
deletes finished webhook deliveries older than `DELIVERY_RETENTION_DAYS`. It keeps: the reporting cube,
frozen measurements, the snapshot rows that the cube of each month-end is summed from (moved to anonymous
stubs) and the audit log (append-only; it names internal ids only).
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy.orm import Session

from services.core.calendar import age_on
from services.core.clock import utcnow
from services.privacy import repository
from services.privacy.service import Actor, youth_for

# The webhook delivery log serves the subscriber's debugging and replays (interface.md: `recover` since/until);
# three months covers the retry schedule (about 32 h) and the 5-day disabling with a wide margin.
DELIVERY_RETENTION_DAYS = 90
TARGET_AGE_END = 27
log = logging.getLogger(__name__)


@dataclass
class RetentionOutcome:
    erased: list[uuid.UUID] = field(default_factory=list)
    kept_in_target_group: int = 0
    snapshot_rows_kept: int = 0
    deliveries_deleted: int = 0


def erase(session: Session, actor: Actor, youth_id: str) -> int:
    """Erase one youth on the privacy officer's decision; the audit log records it. Returns the snapshot rows
    kept (anonymised) for the published numbers."""
    found = youth_for(session, actor, youth_id)  # the actor is the operator: no accountable partner asked
    actor.audit(session, found, "erase")
    return repository.erase(session, found, utcnow())


def _years_before(moment: datetime, years: int) -> datetime:
    try:
        return moment.replace(year=moment.year - years)
    except ValueError:  # 29 February in a year without it
        return moment.replace(year=moment.year - years, day=28)


def _in_target_group(kind: str | None, birth: date | None, today: date) -> bool:
    """Registered now (the latest registration fact) and younger than 27, or of unknown age while registered."""
    if kind != "registered":
        return False
    return birth is None or age_on(birth, today) < TARGET_AGE_END


def run_retention(session: Session, now: datetime, today: date, years: int, limit: int = 5000) -> RetentionOutcome:
    """One bounded run: at most `limit` youths in this transaction, the rest on the next run (daily)."""
    outcome = RetentionOutcome()
    found = repository.last_activity(session, _years_before(now, years))
    candidates = [youth_id for youth_id, _ in sorted(found, key=lambda row: (row[1], row[0]))[:limit]]
    facts = repository.registration_and_birth(session, candidates)
    actor = Actor(caller=None, endpoint="task privacy.retention", purpose=f"retention: no activity for {years} years")
    for youth_id in candidates:
        kind, birth = facts[youth_id]
        if _in_target_group(kind, birth, today):
            outcome.kept_in_target_group += 1
            continue
        actor.audit(session, youth_id, "erase")
        outcome.snapshot_rows_kept += repository.erase(session, youth_id, now)
        outcome.erased.append(youth_id)
    outcome.deliveries_deleted = repository.delete_deliveries_before(
        session, now - timedelta(days=DELIVERY_RETENTION_DAYS)
    )
    log.info(
        "retention: %d youths erased, %d kept (target group), %d deliveries deleted",
        len(outcome.erased),
        outcome.kept_in_target_group,
        outcome.deliveries_deleted,
    )
    return outcome
