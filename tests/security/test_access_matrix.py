# SPDX-License-Identifier: EUPL-1.2
"""The scope-and-partner matrix: every endpoint of the three OpenAPI documents, tried without a key, with a key
of each scope alone, with a foreign partner's key that holds every scope it may hold, and with the owner's.

interface.md, "Partners, keys and access": 401 without a key; 403 only for a key without the endpoint's scope,
checked before existence; 404 for any resource the caller may not see. A new endpoint fails
`test_every_documented_endpoint_is_in_the_matrix` until it has a row here.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient

from services.app import SERVICE_NAMES, _service
from services.core.scopes import Scope
from tests.security.world import World, build_world, municipality_event

CE = {"Content-Type": "application/cloudevents+json"}


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str
    scope: Scope
    # What the foreign partner's key gets: "404" (the resource is not disclosed), "list" (a listing without
    # the owner's resources), "403" (refused: a scope it can never hold, or another partner's events) or "any"
    # (aggregates and the partner's own new resources, the same for every key).
    foreign: str
    body: Any = None

    @property
    def id(self) -> str:
        return f"{self.method} {self.path}"


S, Y, H, SUB = (
    "/signals/v1/signals/{signal}",
    "/signals/v1/youths/{youth}",
    "/signals/v1/handovers",
    "/signals/v1/subscriptions",
)
RECOVER = {"since": "2026-01-01T00:00:00Z", "until": "2026-12-31T00:00:00Z"}
ENDPOINTS = [
    # The foreign key posts the municipality's event: another partner's source is refused (ADR 0008).
    Endpoint("POST", "/intake/v1/events", Scope.EVENTS_WRITE, "403", "municipality-event"),
    Endpoint("GET", "/signals/v1/signals", Scope.SIGNALS_READ, "list"),
    Endpoint("GET", S, Scope.SIGNALS_READ, "404"),
    Endpoint("PATCH", S, Scope.SIGNALS_WRITE, "404", {"status": "acknowledged"}),
    Endpoint("POST", "/signals/v1/youths/search", Scope.SIGNALS_READ, "404", "youth-bsn"),
    Endpoint("GET", Y, Scope.SIGNALS_READ, "404"),
    Endpoint("GET", Y + "/identity", Scope.SIGNALS_READ, "404"),
    Endpoint("POST", Y + "/handovers", Scope.SIGNALS_WRITE, "404", "handover"),
    Endpoint("GET", Y + "/audit", Scope.SIGNALS_READ, "404"),
    Endpoint("GET", Y + "/export", Scope.SIGNALS_READ, "404"),
    Endpoint("POST", Y + "/objection", Scope.SIGNALS_WRITE, "404", {"reason": "Bezwaar van de jongere."}),
    Endpoint("GET", H, Scope.SIGNALS_READ, "list"),
    Endpoint("GET", H + "/{handover}", Scope.SIGNALS_READ, "404"),
    Endpoint("PATCH", H + "/{handover}", Scope.SIGNALS_WRITE, "404", {"status": "accepted"}),
    Endpoint("GET", "/signals/v1/escalations", Scope.CHAIN_MANAGE, "403"),
    Endpoint("PUT", Y + "/accountability", Scope.CHAIN_MANAGE, "403", "accountability"),
    Endpoint(
        "POST", SUB, Scope.SUBSCRIPTIONS_MANAGE, "any", {"url": "http://127.0.0.1:9/x", "types": ["nl.glansrijk.*"]}
    ),
    Endpoint("GET", SUB, Scope.SUBSCRIPTIONS_MANAGE, "list"),
    Endpoint("GET", SUB + "/{subscription}", Scope.SUBSCRIPTIONS_MANAGE, "404"),
    Endpoint("PATCH", SUB + "/{subscription}", Scope.SUBSCRIPTIONS_MANAGE, "404", {"description": "mine now"}),
    Endpoint("DELETE", SUB + "/{subscription}", Scope.SUBSCRIPTIONS_MANAGE, "404"),
    Endpoint("POST", SUB + "/{subscription}/rotate-secret", Scope.SUBSCRIPTIONS_MANAGE, "404"),
    Endpoint("GET", SUB + "/{subscription}/deliveries", Scope.SUBSCRIPTIONS_MANAGE, "404"),
    Endpoint("POST", SUB + "/{subscription}/deliveries/{delivery}/replay", Scope.SUBSCRIPTIONS_MANAGE, "404"),
    Endpoint("POST", SUB + "/{subscription}/recover", Scope.SUBSCRIPTIONS_MANAGE, "404", RECOVER),
    Endpoint("GET", "/reporting/v1/indicators", Scope.REPORTING_READ, "any"),
    Endpoint("GET", "/reporting/v1/indicators/{code}/observations?period=year", Scope.REPORTING_READ, "any"),
    Endpoint("GET", "/reporting/v1/groups?date=2025-12-31", Scope.REPORTING_READ, "any"),
    Endpoint("GET", "/reporting/v1/measurements", Scope.REPORTING_READ, "any"),
    Endpoint(
        "POST", "/reporting/v1/measurements", Scope.REPORTING_MANAGE, "any", {"label": "0-meting", "date": "2025-12-31"}
    ),
    Endpoint("GET", "/reporting/v1/measurements/{measurement}", Scope.REPORTING_READ, "any"),
    Endpoint("GET", "/reporting/v1/measurements/{measurement}/comparison?against=current", Scope.REPORTING_READ, "any"),
    Endpoint("GET", "/reporting/v1/odata", Scope.REPORTING_READ, "any"),
    Endpoint("GET", "/reporting/v1/odata/{entity}", Scope.REPORTING_READ, "any"),
]
PUBLIC = {"/intake/v1/health", "/signals/v1/health", "/reporting/v1/health"}


def _documented() -> set[tuple[str, str]]:
    found = set()
    for name in SERVICE_NAMES:
        for path, operations in _service(name).openapi()["paths"].items():
            found |= {(method.upper(), path) for method in operations if path not in PUBLIC}
    return found


def _template(endpoint: Endpoint) -> str:
    # The matrix's placeholders named after the OpenAPI document's path parameters.
    path = endpoint.path.split("?")[0]
    for ours, theirs in {
        "{signal}": "{signal_id}",
        "{youth}": "{youth_id}",
        "{handover}": "{handover_id}",
        "{subscription}": "{subscription_id}",
        "{delivery}": "{delivery_id}",
        "{measurement}": "{measurement_id}",
        "{entity}": "{entity_set}",
    }.items():
        path = path.replace(ours, theirs)
    return path


DOCUMENTED = _documented()
MATRIX = {(e.method, _template(e)): e for e in ENDPOINTS}


def test_every_documented_endpoint_is_in_the_matrix() -> None:
    assert sorted(DOCUMENTED - MATRIX.keys()) == []


def _body(endpoint: Endpoint, world: World) -> tuple[str | None, dict[str, str]]:
    match endpoint.body:
        case None:
            return None, {}
        case "municipality-event":
            return json.dumps(municipality_event(world)), CE
        case "youth-bsn":
            return json.dumps({"bsn": world.youth.bsn}), {"Content-Type": "application/json"}
        case "handover":
            body = {"toPartnerId": world.receiver.id, "reason": "Overdracht."}
            return json.dumps(body), {"Content-Type": "application/json"}
        case "accountability":
            return json.dumps({"partnerId": world.receiver.id}), {"Content-Type": "application/json"}
        case _:
            return json.dumps(endpoint.body), {"Content-Type": "application/json"}


def _call(client: TestClient, world: World, endpoint: Endpoint, authorization: str | None) -> Any:
    content, headers = _body(endpoint, world)
    # Reads of personal data state their purpose (the audit log's "why"); this matrix is about who, not why.
    headers = {**headers, "X-Purpose": "access matrix test"}
    if authorization is not None:
        headers["Authorization"] = authorization
    return client.request(endpoint.method, world.fill(endpoint.path), content=content, headers=headers)


@pytest.fixture
def world(client: TestClient, settings_env: pytest.MonkeyPatch) -> World:
    return build_world(client, settings_env)


# Driven by the documents: a row whose endpoint is not (yet) served is not tried; a served endpoint without a
# row fails the test above.
@pytest.mark.parametrize("endpoint", [MATRIX[k] for k in sorted(DOCUMENTED & MATRIX.keys())], ids=lambda e: e.id)
def test_scopes_and_partners(client: TestClient, world: World, endpoint: Endpoint) -> None:
    assert _call(client, world, endpoint, None).status_code == 401

    # The foreign partner first, while the owner's resources are untouched.
    foreign = _call(client, world, endpoint, f"Bearer {world.foreign.key}")
    if endpoint.foreign == "list":
        assert foreign.status_code == 200, foreign.text
        assert foreign.json()["items"] == []
        owned = _call(client, world, endpoint, f"Bearer {world.owner.key}")
        # The positive control: the same listing is not empty for the owner.
        assert owned.status_code == 200 and owned.json()["items"], "the owner sees its own resources"
    elif endpoint.foreign == "404":
        assert foreign.status_code == 404, foreign.text
        assert not set(foreign.text.split('"')) & world.owned_ids - {world.youth.key}
        if endpoint.method == "GET" or endpoint.path.endswith("/search"):
            owned = _call(client, world, endpoint, f"Bearer {world.owner.key}")
            assert owned.status_code == 200, f"the owner reaches its own resource: {owned.text}"
    elif endpoint.foreign == "403":
        assert foreign.status_code == 403, foreign.text
    else:
        assert foreign.status_code not in (401, 403), foreign.text

    # Each scope alone: 403 unless it is the endpoint's, checked before the resource is looked up.
    for scope, key in world.scope_keys.items():
        response = _call(client, world, endpoint, f"Bearer {key}")
        if scope == endpoint.scope.value:
            assert response.status_code not in (401, 403), f"{scope}: {response.text}"
        else:
            assert response.status_code == 403, f"{scope}: {response.status_code} {response.text}"
