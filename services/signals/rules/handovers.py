# SPDX-License-Identifier: EUPL-1.2
"""When a handover counts as stalled (spec/domain.md, `handover-stalled`): one definition for the rule that
raises the signal and for the escalations list that shows the handover."""

from __future__ import annotations

from datetime import date, datetime

from services.core.calendar import working_days_between
from services.core.clock import local_date

STALLED_AFTER_WORKING_DAYS = 5


def is_stalled(requested_at: datetime, day: date) -> bool:
    """Unanswered for 5 working days on `day`, counted from the Amsterdam date of the request."""
    return working_days_between(local_date(requested_at), day) >= STALLED_AFTER_WORKING_DAYS
