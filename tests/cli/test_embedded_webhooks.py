# SPDX-License-Identifier: EUPL-1.2
"""Webhooks on the embedded default: `glansrijk serve all` on SQLite delivers, and retries a failed delivery on
its own (there is no beat: the server's in-process schedule sends the dispatcher)."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
import standardwebhooks

from tests.cli.test_embedded import (
    BATCH,
    OIN_MUNICIPALITY,
    OIN_SCHOOL,
    absence_case,
    add_partner,
    embedded_env,
    glansrijk,
    json_out,
    serving,
)
from tests.factories import bsn
from tests.signals.receiver import running_receiver

pytestmark = pytest.mark.embedded


def test_a_failed_delivery_is_retried_by_the_embedded_server(tmp_path: Path) -> None:
    env = {**embedded_env(tmp_path / "w.db"), "GLANSRIJK_TODAY": "2026-02-06", "GLANSRIJK_ALLOW_HTTP_WEBHOOKS": "true"}
    assert glansrijk(tmp_path, env, "migrate").returncode == 0
    municipality = add_partner(tmp_path, env, "Gemeente", "municipality", OIN_MUNICIPALITY)
    school = add_partner(tmp_path, env, "School", "school", OIN_SCHOOL, "--brin", "12AB")
    leerplicht = add_partner(tmp_path, env, "Leerplicht", "leerplicht", "00000001003333333000")
    scopes = "events:write,subscriptions:manage"
    keys = {
        partner: str(json_out(tmp_path, env, "keys", "create", "--partner", partner, "--scopes", scopes)["key"])
        for partner in (municipality, school, leerplicht)
    }
    number = bsn()
    absences, registration = absence_case(number)
    with running_receiver() as receiver, serving(tmp_path, env) as base:
        receiver.answers.append((503, {}))
        subscribed = httpx.post(
            f"{base}/signals/v1/subscriptions",
            json={"url": receiver.url, "types": ["nl.glansrijk.signal.*"]},
            headers={"Authorization": f"Bearer {keys[leerplicht]}"},
        )
        assert subscribed.status_code == 201, subscribed.text
        for key, body in ((keys[school], absences), (keys[municipality], [registration])):
            headers = {"Authorization": f"Bearer {key}", **BATCH}
            assert httpx.post(f"{base}/intake/v1/events", json=body, headers=headers).status_code == 202
        first, retried = receiver.wait_for(2, timeout=30)[:2]

    assert first.webhook_id == retried.webhook_id
    assert retried.at - first.at >= 4  # the first retry of the schedule: about 5 s later
    assert first.event["data"]["signalType"] == "absence-16h"
    assert number not in retried.body.decode()
    standardwebhooks.Webhook(subscribed.json()["secret"]).verify(retried.body, retried.headers)
