# SPDX-License-Identifier: EUPL-1.2
"""Where the time of one batched request goes: the intake phases timed in-process, then cProfile.

Runs the same steps as `POST /intake/v1/events` (read, authority, validate, accept, commit, response) on
prepared batch bodies, in this process, against the bench database. Nothing under `services/` is changed:
the phase timers wrap module attributes for the duration of the run and are restored afterwards.
"""

from __future__ import annotations

import cProfile
import pstats
import statistics
import time
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg


@dataclass
class PhaseTimer:
    totals: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    current: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    calls: dict[str, int] = field(default_factory=lambda: defaultdict(int))

    @contextmanager
    def phase(self, name: str) -> Iterator[None]:
        start = time.perf_counter()
        try:
            yield
        finally:
            self.current[name] += time.perf_counter() - start

    def wrap(self, name: str, function: Callable[..., Any]) -> Callable[..., Any]:
        def timed(*args: Any, **kwargs: Any) -> Any:
            start = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                self.current[name] += time.perf_counter() - start
                self.calls[name] += 1

        return timed

    def end_batch(self) -> None:
        for name, seconds in self.current.items():
            self.totals[name].append(seconds)
        self.current = defaultdict(float)


# (label, module, attribute) timed inside streamed.accept_posted; indented labels are nested in the one above. A
# batch of 50 or more on Postgres takes _accept_streamed; single events and small batches validate_events, then
# accept_events (one pipeline, _accept_pipelined); the sequential way (SQLite, retractions, a lost race) has the
# phases after it.
SUB_PHASES: list[tuple[str, str, str]] = [
    (
        "  _accept_streamed (a batch of 50 or more: chunks validated, each chunk's events sent meanwhile; one "
        "pipeline)",
        "services.intake.streamed",
        "_accept_streamed",
    ),
    ("    valid_range (one chunk validated: envelope + pydantic)", "services.intake.streamed", "valid_range"),
    ("    project (pure; the chunked way)", "services.intake.streamed", "project"),
    (
        "  validate_events (every event, before accept_events: single events, small batches)",
        "services.intake.streamed",
        "validate_events",
    ),
    ("  accept_events", "services.intake.service", "accept_events"),
    ("    pseudonymise (HMAC)", "services.intake.service", "pseudonymise"),
    (
        "    find_stored (duplicates, known youths, reserved sequence numbers; one SELECT)",
        "services.intake.repository",
        "find_stored",
    ),
    (
        "    _accept_pipelined (youths, outbox row + events, state: one pipeline, rows built meanwhile)",
        "services.intake.service",
        "_accept_pipelined",
    ),
    ("    project (pure; single events, small batches)", "services.intake.service", "project"),
    ("    resolve_youths (sequential way: create the new ones)", "services.intake.service", "resolve_youths"),
    (
        "    insert_batch_and_events (sequential way: outbox row + events, one statement)",
        "services.intake.repository",
        "insert_batch_and_events",
    ),
    ("    insert_retractions", "services.intake.repository", "insert_retractions"),
    ("    mark_retracted (UPDATE, retractions only)", "services.intake.repository", "mark_retracted"),
    (
        "    apply_projection (sequential way: upserts, local ids)",
        "services.intake.repository_projection",
        "apply_projection",
    ),
    (
        "  key_and_stored (a small request's key and look-up: one pipeline, outside a transaction)",
        "services.intake.repository_pipeline",
        "key_and_stored",
    ),
    ("  encrypt (Fernet, new youths)", "services.intake.service", "encrypt"),
    ("  _stored_data (model_dump)", "services.intake.service", "_stored_data"),
]


@contextmanager
def _wrapped(timer: PhaseTimer) -> Iterator[None]:
    import importlib

    saved: list[tuple[Any, str, Any]] = []
    try:
        for label, module_name, attribute in SUB_PHASES:
            module = importlib.import_module(module_name)
            original = getattr(module, attribute, None)
            if original is None:  # not (or no longer) part of the intake code
                continue
            saved.append((module, attribute, original))
            setattr(module, attribute, timer.wrap(label, original))
        yield
    finally:
        for module, attribute, original in reversed(saved):
            setattr(module, attribute, original)


def _one_request(partner: Any, raw_body: bytes, timer: PhaseTimer | None, key: str | None = None) -> None:
    from services.core.db import session_factory
    from services.intake import api, envelope, streamed

    @contextmanager
    def phase(name: str) -> Iterator[None]:
        if timer is None:
            yield
        else:
            with timer.phase(name):
                yield

    session = session_factory()()
    try:
        # As the endpoint does (services/intake/api.py).
        if key is None:
            with phase("1 read_events (parse + per-event size check)"):
                raw = envelope.read_events(envelope.BATCH, raw_body, {}, 1000, 64 * 1024)
            with phase("2 authority_problem"):
                assert envelope.authority_problem(raw.events, partner) is None
            with phase("3 validate and accept (services.intake.streamed.accept_posted)"):
                result = streamed.accept_posted(session, partner.id, raw)
        else:  # the look-ahead reads the events and checks the caller's authority itself
            with phase("3 read, check, validate and accept (services.intake.lookahead, as a small request over HTTP)"):
                result = _looked_ahead(session, key, raw_body)
        with phase("4 commit"):
            session.commit()
    finally:
        session.close()
    with phase("5 response (JSON body)"):
        api.result_body(result)
    assert result.duplicates == 0


def _looked_ahead(session: Any, key: str, raw_body: bytes) -> Any:
    """A small request's way (ADR 0034, 0038, 0039): its key and look-up in one pipeline outside a transaction,
    then the caller's checks and the writes, which commit on their own."""
    from fastapi import Request

    from services.intake import api, lookahead
    from services.intake.dependencies import PostedBody

    headers = [(b"authorization", f"Bearer {key}".encode()), (b"content-type", b"application/cloudevents-batch+json")]
    request = Request({"type": "http", "method": "POST", "path": "/intake/v1/events", "headers": headers})
    posted = PostedBody(raw_body)
    ahead = lookahead.look_ahead(request, posted, session)
    assert ahead is not None, "a small valid request with a valid key takes the look-ahead path"
    return api._accept_looked_ahead(request, posted, session, ahead)


def _short(path: str) -> str:
    for marker in ("site-packages/", "/work/main/", "lib/python3"):
        if marker in path:
            return path.split(marker, 1)[1]
    return path


def _top(stats: pstats.Stats, batches: int, key: str, limit: int, only: str | None = None) -> list[list[str]]:
    entries = stats.stats  # type: ignore[attr-defined]
    index = 2 if key == "tottime" else 3
    ranked = sorted(entries.items(), key=lambda item: item[1][index], reverse=True)
    rows = []
    for (filename, line, function), (_cc, calls, tottime, cumtime, _callers) in ranked:
        if only is not None and only not in filename:
            continue
        location = f"{_short(filename)}:{line}({function})" if line else function
        rows.append(
            [
                f"{tottime / batches * 1000:.1f}",
                f"{cumtime / batches * 1000:.1f}",
                f"{calls / batches:.0f}",
                f"`{location}`",
            ]
        )
        if len(rows) == limit:
            break
    return rows


@dataclass
class ProfileReport:
    phases: list[list[str]]
    total_ms: float
    statements_per_batch: float
    top_tottime: list[list[str]]
    top_services: list[list[str]]


def profile_batched(
    requests: list[tuple[uuid.UUID, bytes]],
    warmup: int,
    profiled: int,
    pstats_out: Path | None,
    key: str | None = None,
) -> ProfileReport:
    """Phases of the requests (partner id, body) after the first `warmup` (no profiler), then cProfile over the
    last `profiled`. With the partner's `key`, small requests take the look-ahead path, as over HTTP."""
    from services.core.db import session_factory
    from services.core.repository import load_partner_profile

    partners = {}
    with session_factory()() as session:
        for partner_id in {partner_id for partner_id, _ in requests}:
            partners[partner_id] = load_partner_profile(session, partner_id)
    timed = len(requests) - warmup - profiled
    assert timed > 0 and all(partners.values())
    for partner_id, raw_body in requests[:warmup]:  # caches, the pool, imports
        _one_request(partners[partner_id], raw_body, None, key)

    # Counted at psycopg's cursor, so that the pipelined statements (sent past SQLAlchemy) count too.
    statements = [0]
    execute = psycopg.Cursor.execute

    def counted(self: Any, *args: Any, **kwargs: Any) -> Any:
        statements[0] += 1
        return execute(self, *args, **kwargs)

    timer = PhaseTimer()
    psycopg.Cursor.execute = counted  # type: ignore[method-assign]
    try:
        with _wrapped(timer):
            for partner_id, raw_body in requests[warmup : warmup + timed]:
                _one_request(partners[partner_id], raw_body, timer, key)
                timer.end_batch()
    finally:
        psycopg.Cursor.execute = execute  # type: ignore[method-assign]

    top_tottime: list[list[str]] = []
    top_services: list[list[str]] = []
    if profiled:
        profiler = cProfile.Profile()
        profiler.enable()
        for partner_id, raw_body in requests[warmup + timed :]:
            _one_request(partners[partner_id], raw_body, None, key)
        profiler.disable()
        if pstats_out is not None:
            profiler.dump_stats(str(pstats_out))
        stats = pstats.Stats(profiler)
        top_tottime = _top(stats, profiled, "tottime", 15)
        top_services = _top(stats, profiled, "cumtime", 15, only="/services/")

    top_level = {name: statistics.median(v) for name, v in timer.totals.items() if not name.startswith(" ")}
    total = sum(top_level.values())
    phase_rows = []
    order = sorted(timer.totals, key=lambda n: (n[0] == " ", n))
    top_names = sorted(n for n in order if not n.startswith(" "))
    for name in top_names:
        phase_rows.append(_phase_row(name, timer, total))
        if name.startswith("4 "):
            phase_rows.extend(_phase_row(label, timer, total) for label, _m, _a in SUB_PHASES if label in timer.totals)
    return ProfileReport(
        phases=phase_rows,
        total_ms=total * 1000,
        statements_per_batch=statements[0] / max(1, timed),
        top_tottime=top_tottime,
        top_services=top_services,
    )


def _phase_row(name: str, timer: PhaseTimer, total: float) -> list[str]:
    median = statistics.median(timer.totals[name])
    calls = timer.calls.get(name)
    per_batch = f"{calls / len(timer.totals[name]):.0f}" if calls else ""
    label = name.replace("  ", "\u2003")  # keep the nesting visible in markdown
    digits = 1 if total > 0.05 else 2
    return [label, f"{median * 1000:.{digits}f}", f"{median / total * 100:.0f}%", per_batch]
