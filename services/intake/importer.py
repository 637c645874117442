# SPDX-License-Identifier: EUPL-1.2
"""Bulk import of JSON Lines through the same checks as the API, in batches, idempotent on a re-run."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from services.core import repository as core_repository
from services.core.db import transaction
from services.core.problems import Problem
from services.core.settings import get_settings
from services.intake import service
from services.intake.envelope import RawEvents, ValidEvent, authority_problem, validate_events

IMPORT_BATCH = 1000


@dataclass
class ImportReport:
    accepted: int = 0
    duplicates: int = 0
    rejected: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"accepted": self.accepted, "duplicates": self.duplicates, "rejected": self.rejected}


def _lines(path: Path) -> Iterator[tuple[int, str]]:
    """The non-blank lines by number. A byte order mark before the first line, as some spreadsheet exports write,
    is not part of the JSON. A byte that is not UTF-8 becomes a lone surrogate (surrogateescape), so that its line
    is refused on its own (`_check_line`), where decoding the whole file would stop the import half-way."""
    with path.open(encoding="utf-8-sig", errors="surrogateescape") as handle:
        for number, line in enumerate(handle, start=1):
            if line.strip():
                yield number, line


def _check_line(line: str, partner: core_repository.PartnerProfile, max_event: int) -> tuple[Any, list[dict[str, str]]]:
    """One line through the API's checks; returns the valid event or the reasons it was refused."""
    try:
        size = len(line.encode("utf-8"))  # a lone surrogate (see `_lines`) does not encode
    except UnicodeEncodeError:
        return None, [{"name": "", "reason": "the line is not valid UTF-8"}]
    if size > max_event:
        return None, [{"name": "", "reason": f"the event is over {max_event} bytes"}]
    try:
        event = json.loads(line)
    except ValueError:
        return None, [{"name": "", "reason": "the line is not valid JSON"}]
    raw = RawEvents([event], lambda _i, path: path)
    forbidden = authority_problem(raw.events, partner)
    if forbidden is not None:
        return None, [{"name": "", "reason": r["reason"]} for r in forbidden.extra["forbiddenEvents"]]
    try:
        return validate_events(raw)[0], []
    except Problem as problem:
        return None, list(problem.invalid_params or [])


def import_file(path: Path, partner_id: uuid.UUID, *, raise_signals: bool = True) -> ImportReport:
    settings = get_settings()
    with transaction() as session:
        partner = core_repository.load_partner_profile(session, partner_id)
    if partner is None:
        raise ValueError(f"no partner with id {partner_id}")
    report = ImportReport()
    pending: list[ValidEvent] = []

    def flush() -> None:
        with transaction() as session:
            result = service.accept_events(session, partner_id, pending, raise_signals=raise_signals)
        report.accepted += result.accepted
        report.duplicates += result.duplicates
        pending.clear()

    for number, line in _lines(path):
        event, reasons = _check_line(line, partner, settings.max_event_bytes)
        if reasons:
            report.rejected.append({"line": number, "reasons": reasons})
            continue
        pending.append(event)
        if len(pending) >= IMPORT_BATCH:
            flush()
    if pending:
        flush()
    return report
