# SPDX-License-Identifier: EUPL-1.2
"""The CloudEvent types Glansrijk delivers and the subscription filters over them (interface.md, "Webhooks").

ADR 0016 explains the names. A filter is an exact type or a prefix ending in `*`; a filter that can never match
a delivered type is refused at registration, so a typo does not silently subscribe to nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal, get_args

PREFIX = "nl.glansrijk."
WILDCARD = "*"
EventType = Literal[
    "nl.glansrijk.signal.raised",
    "nl.glansrijk.signal.escalated",
    "nl.glansrijk.signal.status-changed",
    "nl.glansrijk.handover.requested",
    "nl.glansrijk.handover.answered",
    "nl.glansrijk.accountability.changed",
]
EVENT_TYPES: tuple[str, ...] = get_args(EventType)
MAX_FILTER_LENGTH = 100


def filter_matches(type_filter: str, event_type: str) -> bool:
    if type_filter.endswith(WILDCARD):
        return event_type.startswith(type_filter[: -len(WILDCARD)])
    return event_type == type_filter


def subscribed(type_filters: Iterable[str], event_type: str) -> bool:
    """Whether a subscription with these filters receives an event of `event_type`."""
    return any(filter_matches(type_filter, event_type) for type_filter in type_filters)


def check_filter(type_filter: str) -> str:
    """A valid filter unchanged; else ValueError with the reason (the API names the failing `/types/N`)."""
    if len(type_filter) > MAX_FILTER_LENGTH:
        raise ValueError(f"At most {MAX_FILTER_LENGTH} characters.")
    if WILDCARD in type_filter[:-1]:
        raise ValueError("`*` may only end a prefix.")
    if not any(filter_matches(type_filter, event_type) for event_type in EVENT_TYPES):
        raise ValueError("Not a delivered event type, nor a prefix of one ending in `*`: " + ", ".join(EVENT_TYPES))
    return type_filter
