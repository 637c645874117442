# SPDX-License-Identifier: EUPL-1.2
"""Faults at the door: the same batch posted at the same moment by two clients, and events that arrive in the
wrong order and more than once. Real server and worker processes; the invariants end each test."""

from __future__ import annotations

import json
import threading
from typing import Any

import httpx

from tests.factories import TestPartner
from tests.faults.support import (
    BATCH,
    assert_signals_once,
    assert_stored_once,
    signal_count,
    truant_events,
    unevaluated,
    wait_until,
)
from tests.intake.support import make_partners
from tests.processes import api_server, start_process


def _race(base: str, partner: TestPartner, events: list[dict[str, Any]]) -> list[httpx.Response]:
    """The same batch from two clients at once (a barrier lines up the two requests)."""
    body = json.dumps(events)
    barrier = threading.Barrier(2)
    answers: list[httpx.Response] = []

    def client() -> None:
        with httpx.Client(timeout=60) as http:
            barrier.wait()
            answers.append(http.post(f"{base}/intake/v1/events", content=body, headers={**partner.headers, **BATCH}))

    threads = [threading.Thread(target=client) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=90)
    return answers


def test_the_same_batch_from_two_clients_at_once_is_stored_once(env: dict[str, str], processes: list[Any]) -> None:
    partners = make_partners()
    youths = 50
    school, registrations = truant_events(partners, youths)
    processes.append(start_process(["worker", "--concurrency", "1"], env))
    with api_server("all", env=env, workers=2) as base:
        for partner, events in ((partners.school, school), (partners.municipality, registrations)):
            answers = _race(base, partner, events)
            assert [a.status_code for a in answers] == [202, 202], [a.text[:300] for a in answers]
            # Each event is accepted by exactly one of the two requests and a duplicate in the other.
            statuses: dict[str, list[str]] = {}
            for answer in answers:
                for result in answer.json()["results"]:
                    statuses.setdefault(result["id"], []).append(result["status"])
            assert {tuple(sorted(s)) for s in statuses.values()} == {("accepted", "duplicate")}
            assert len(statuses) == len(events)
        wait_until(lambda: unevaluated() == 0 and signal_count() == youths, 90, "the signals")
    assert_stored_once((e["source"], e["id"]) for e in school + registrations)
    assert_signals_once("absence-16h", youths)
    assert_signals_once("dropout-risk", youths)


def test_events_out_of_order_and_twice_raise_each_signal_once(env: dict[str, str], processes: list[Any]) -> None:
    partners = make_partners()
    youths = 40
    school, registrations = truant_events(partners, youths)
    processes.append(start_process(["worker", "--concurrency", "1"], env))
    with api_server("all", env=env) as base:
        headers = BATCH
        # Registrations first, the school's events newest first and split, then everything once more.
        rounds = [
            (partners.municipality, registrations),
            (partners.school, school[::-1][: len(school) // 2]),
            (partners.school, school[::-1][len(school) // 2 :]),
            (partners.school, school),
            (partners.municipality, registrations),
        ]
        for partner, events in rounds:
            answer = httpx.post(
                f"{base}/intake/v1/events",
                content=json.dumps(events),
                headers={**partner.headers, **headers},
                timeout=60,
            )
            assert answer.status_code == 202, answer.text
        assert answer.json()["duplicates"] == youths  # the last round: all seen before
        wait_until(lambda: unevaluated() == 0 and signal_count() == youths, 90, "the signals")
    assert_stored_once((e["source"], e["id"]) for e in school + registrations)
    assert_signals_once("absence-16h", youths)
    assert_signals_once("dropout-risk", youths)
