# SPDX-License-Identifier: EUPL-1.2
"""The duplicate and youth look-up of a batched request, sent before its events are validated.

`accept_events` needs to know which (source, id) pairs are stored and which youths exist before it writes
(`repository.find_stored`). On a batch of 1000 events that look-up and the validation take about as long each
(bench/results/intake-*.md), and the look-up needs only what the raw events already say: their source and id,
and the BSN or onderwijsnummer pseudonymised. So it goes to Postgres first and runs while Python validates;
`accept_events` takes its answer when it covers the valid events (it does unless an event changes its identity
in validation, which none does: an event failing validation fails the request). A request that turns out
invalid answers 400 as before; its look-up only drew sequence numbers (a gap) in a transaction rolled back.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from services.core.identity import IdentifierKind, pseudonymise
from services.intake import repository, repository_pipeline

# Below this many events the validation is too short to hide the look-up behind, and the extra pipeline costs.
LOOKAHEAD_MIN_EVENTS = 50
IDENTIFIERS: tuple[IdentifierKind, ...] = ("bsn", "onderwijsnummer")  # the BSN first, as service._identifier


@dataclass
class Lookahead:
    pairs: set[tuple[str, str]]
    pseudonyms: dict[tuple[IdentifierKind, str], bytes]  # (kind, identifier) -> pseudonym
    lookup: repository_pipeline.Lookup  # answered once the validation is over

    def answer(self, pairs: set[tuple[str, str]], pseudonyms: set[bytes]) -> repository.Found | None:
        """The look-up's answer for these pairs and youths, or None when it did not cover them all (its
        reserved sequence numbers are one per pair it looked up)."""
        if not pairs <= self.pairs or not pseudonyms <= set(self.pseudonyms.values()):
            return None
        return self.lookup.found


def _pairs(events: list[Any]) -> set[tuple[str, str]]:
    return {
        (event["source"], event["id"])
        for event in events
        if isinstance(event, dict) and isinstance(event.get("source"), str) and isinstance(event.get("id"), str)
    }


def _identifiers(events: list[Any]) -> set[tuple[IdentifierKind, str]]:
    """(kind, value) of each event's person as posted: validation refuses any other shape."""
    found: set[tuple[IdentifierKind, str]] = set()
    for event in events:
        data = event.get("data") if isinstance(event, dict) else None
        person = data.get("person") if isinstance(data, dict) else None
        if isinstance(person, dict):
            for kind in IDENTIFIERS:
                value = person.get(kind)
                if isinstance(value, str) and len(value) == 9 and value.isascii() and value.isdigit():
                    found.add((kind, value))
                    break
    return found


@contextmanager
def looked_up_meanwhile(session: Session, events: list[Any]) -> Iterator[Lookahead | None]:
    """The look-up of these raw events sent before the block and read after it (Postgres, batches of
    LOOKAHEAD_MIN_EVENTS or more); None otherwise: `accept_events` then looks up itself."""
    if len(events) < LOOKAHEAD_MIN_EVENTS or not repository_pipeline.supported(session):
        yield None
        return
    pairs = _pairs(events)
    pseudonyms = {(kind, value): pseudonymise(kind, value) for kind, value in _identifiers(events)}
    with repository_pipeline.find_stored_meanwhile(session, pairs, pseudonyms.values(), len(pairs)) as lookup:
        yield Lookahead(pairs, pseudonyms, lookup)
