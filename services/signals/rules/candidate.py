# SPDX-License-Identifier: EUPL-1.2
"""What a rule returns: a signal that should exist, with its reasons and the events it rests on.

Routing, deadlines and deduplication against stored signals happen outside the rules (evaluation/).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any, Literal

from services.signals.rules.state import EventRef

# Reasons drawn from these domains show their facts only to youth-care, youth-coach and municipality.
Domain = Literal["care", "transition-plan", "life-domains"]


@dataclass(frozen=True)
class Reason:
    code: str
    facts: dict[str, Any]
    domain: Domain | None = None

    def as_json(self) -> dict[str, Any]:
        return {"code": self.code, "facts": self.facts, "domain": self.domain}


@dataclass(frozen=True)
class Route:
    """Where a signal goes: a named partner (the accountable partner, the partner that ended a trajectory), the
    school that administers a BRIN, or else the first registered partner holding `role`. When none of these
    exists the signal goes to the `municipality` partner with reason `no-partner-for-role`.
    """

    role: str
    partner: uuid.UUID | None = None
    brin: str | None = None


@dataclass(frozen=True)
class Candidate:
    type: str
    dedupe_key: str
    reasons: tuple[Reason, ...]
    route: Route
    evidence: frozenset[EventRef] = field(default_factory=frozenset)
