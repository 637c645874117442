# SPDX-License-Identifier: EUPL-1.2
"""Builders for test data: valid BSNs, partners with keys, and CloudEvents of the catalogue."""

from __future__ import annotations

import itertools
import json
import random
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from services.cli import admin
from services.core.dispatch import wait_for_tasks
from services.core.identity import elfproef_check_digit

_bsn_counter = itertools.count(10_000_000)
_oin_counter = itertools.count(1)


def bsn(seed: int | None = None) -> str:
    """A fresh 9-digit number that passes the elfproef (a valid BSN or onderwijsnummer)."""
    base = next(_bsn_counter) if seed is None else seed
    while True:
        digits = f"{base:08d}"[-8:]
        check = elfproef_check_digit(digits)
        if check is not None:
            return digits + str(check)
        # Fresh numbers draw the next base from the counter, so that two calls never return the same number.
        base = next(_bsn_counter) if seed is None else base + 1


def random_bsn(rng: random.Random) -> str:
    return bsn(rng.randrange(10_000_000, 99_999_999))


TEST_PURPOSE = "Casework in a test"


@dataclass
class TestPartner:
    __test__ = False  # not a pytest class

    id: str
    key: str
    key_id: str
    oin: str
    roles: list[str]

    @property
    def source(self) -> str:
        return f"urn:nld:oin:{self.oin}:systeem:test"

    @property
    def headers(self) -> dict[str, str]:
        # The signals API refuses personal-data reads without a purpose (ADR 0025); sent always, like a client.
        return {"Authorization": f"Bearer {self.key}", "X-Purpose": TEST_PURPOSE}


ALL_SCOPES = [
    "events:write",
    "signals:read",
    "signals:write",
    "subscriptions:manage",
    "reporting:read",
    "reporting:manage",
]


def make_partner(
    roles: list[str], *, brins: list[str] | None = None, scopes: list[str] | None = None, name: str | None = None
) -> TestPartner:
    oin = f"{next(_oin_counter):020d}"
    partner_id = admin.add_partner(name=name or "-".join(roles), roles=roles, oin=oin, kvk=None, brins=brins or [])
    wanted = list(scopes or ALL_SCOPES)
    if "municipality" in roles and scopes is None:
        wanted.append("chain:manage")
    key_id, key = admin.create_key(partner_id, wanted, None)
    return TestPartner(str(partner_id), key, str(key_id), oin, roles)


_event_counter = itertools.count(1)


def event(
    partner: TestPartner,
    type_: str,
    data: dict[str, Any],
    *,
    person: dict[str, Any] | None = None,
    time: datetime | str | None = None,
    id_: str | None = None,
) -> dict[str, Any]:
    """A structured-mode CloudEvent of `nl.glansrijk.<type_>` from `partner`."""
    moment = time or datetime(2026, 1, 19, 8, 15, tzinfo=UTC)
    body = dict(data)
    if person is not None:
        body["person"] = person
    return {
        "specversion": "1.0",
        "id": id_ or f"ev-{next(_event_counter)}-{uuid.uuid4().hex[:8]}",
        "type": f"nl.glansrijk.{type_}",
        "source": partner.source,
        "time": moment if isinstance(moment, str) else moment.isoformat().replace("+00:00", "Z"),
        "datacontenttype": "application/json",
        "data": body,
    }


STRUCTURED = {"Content-Type": "application/cloudevents+json"}
BATCH = {"Content-Type": "application/cloudevents-batch+json"}


def post(client: Any, partner: TestPartner, events: dict[str, Any] | list[dict[str, Any]]) -> Any:
    batch = isinstance(events, list)
    headers = {**partner.headers, **(BATCH if batch else STRUCTURED)}
    response = client.post("/intake/v1/events", content=json.dumps(events), headers=headers)
    # The embedded evaluation that follows runs on a background thread: let it finish, so that what a test
    # reads next does not change under it.
    wait_for_tasks()
    return response


def iso(day: date) -> str:
    return day.isoformat()
