# SPDX-License-Identifier: EUPL-1.2
"""A small request's first round trip: the caller's key looked up beside its events' duplicates and youths.

One after the other, a single event took five round trips to Postgres: BEGIN, the key, the look-up of its
(source, id) and youth, the writes (one pipeline) and COMMIT. The key and the look-up need nothing from each
other, so a small body (at most one event's size limit) is read and validated first, and the key and the
look-up go in one pipeline (ADR 0034), sent outside a transaction; the writes then commit on their own (ADR
0038), as one statement (ADR 0039): two round trips.

The answers keep their order. Whatever is wrong with the request (no or a bad key, a missing scope, another
content type, an invalid event) sends it the usual way, `None` here, which raises the same problem at its
turn; the work done ahead only read (and drew sequence numbers, a harmless gap). A caller without a valid
key (or with a throttled or scope-less one) costs the validation of a small body (`max_event_bytes`), a
pseudonym per youth and one look-up more than before (ADR 0034).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from fastapi import Request
from sqlalchemy.orm import Session

from services.core.auth import Credentials, credentials
from services.core.problems import Problem
from services.core.repository import AuthKey
from services.core.settings import get_settings
from services.intake import repository_pipeline, service
from services.intake.dependencies import PostedBody
from services.intake.envelope import RawEvents, check_content_type, read_events, valid_range
from services.intake.repository import Found
from services.intake.streamed import STREAMED_MIN_EVENTS


@dataclass(frozen=True)
class LookedAhead:
    """A small request whose events are valid, with its caller's key (None: unknown) and its look-up's answer."""

    presented: Credentials
    key: AuthKey | None
    raw: RawEvents
    events: list[service.ValidEvent]
    plan: service.LookupPlan
    found: Found

    def accept(self, session: Session, partner_id: uuid.UUID) -> service.AcceptResult:
        """`service.accept_events` with the look-up made here (the caller is known and allowed by now). The API
        commits right after, so the writes may commit on their own (ADR 0038, ADR 0039)."""
        return service.accept_events(
            session, partner_id, self.events, looked_up=(self.plan, self.found), commit_writes=True
        )


def look_ahead(request: Request, posted: PostedBody, session: Session) -> LookedAhead | None:
    """The key and the look-up in the session's first round trip, or None: the request takes the usual order
    (SQLite, an OAuth2 token, a body over one event's limit, no events or 50 and more, or anything to refuse).
    Only what validation accepted reaches the look-up: ids and sources Postgres can store."""
    settings = get_settings()
    content = posted.content
    if content is None or len(content) > settings.max_event_bytes or not repository_pipeline.supported(session):
        return None
    try:
        presented = credentials(request)
        if presented.is_token(settings):
            return None
        kind = check_content_type(request.headers.get("content-type"))
        raw = read_events(kind, content, request.headers, settings.max_batch_events, settings.max_event_bytes)
    except Problem:
        return None
    if not 0 < len(raw.events) < STREAMED_MIN_EVENTS:
        return None
    events = valid_range(raw, 0, len(raw.events))
    if events is None:
        return None
    plan = service.lookup_plan(session, events)
    key, found = repository_pipeline.key_and_stored(
        session, presented.key_hash, plan.first_index.keys(), plan.pseudonyms, plan.reserve
    )
    return LookedAhead(presented, key, raw, events, plan, found)
