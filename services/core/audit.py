# SPDX-License-Identifier: EUPL-1.2
"""The audit log writer: every read or change of one youth's data (design.md, "Privacy by design").

One row per youth, written in the request's own transaction, so that a read that is answered is also logged
(and a request that fails logs nothing it did not do).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Literal

from sqlalchemy import insert
from sqlalchemy.orm import Session

from services.core.auth import Caller
from services.core.clock import utcnow
from services.core.models import AuditEntry

AuditAction = Literal["read", "change", "export", "erase"]


def record(
    session: Session,
    caller: Caller | None,
    youth_ids: Iterable[uuid.UUID],
    action: AuditAction,
    endpoint: str,
    purpose: str | None = None,
) -> None:
    """Append one audit row per distinct youth (in first-seen order) in one bulk INSERT; no youths, no rows."""
    distinct = list(dict.fromkeys(youth_ids))
    if not distinct:
        return
    now = utcnow()
    rows = [
        {
            "at": now,
            "key_id": caller.key_id if caller is not None else None,
            "partner_id": caller.partner_id if caller is not None else None,
            "youth_id": youth_id,
            "action": action,
            "endpoint": endpoint[:200],
            "purpose": purpose,
        }
        for youth_id in distinct
    ]
    session.execute(insert(AuditEntry), rows)
