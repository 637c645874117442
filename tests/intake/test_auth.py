# SPDX-License-Identifier: EUPL-1.2
"""Keys and scopes, the problem+json shape, the contract's headers, openapi.json, health and trailing slashes."""

from __future__ import annotations

import base64
import re
import uuid
from typing import Any

import pytest

from services.cli import admin
from tests.factories import STRUCTURED, bsn, event, make_partner, post
from tests.intake.support import VALID, Partners, count

EVENTS = "/intake/v1/events"
SEMVER = re.compile(r"^\d+\.\d+\.\d+$")
SECURITY_HEADERS = {
    "cache-control": "no-store",
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "content-security-policy": "frame-ancestors 'none'",
}


def _contact(partner: Any) -> dict[str, Any]:
    return event(partner, "support.contact", VALID["support.contact"][1], person={"bsn": bsn()})


def assert_problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    assert body["type"].startswith("https://")
    assert isinstance(body["title"], str) and body["title"]
    assert isinstance(body["detail"], str) and body["detail"]
    assert "Traceback" not in response.text
    return body


def assert_contract_headers(response: Any) -> None:
    assert SEMVER.match(response.headers["api-version"])
    for name, value in SECURITY_HEADERS.items():
        assert response.headers[name] == value, name
    assert response.headers["strict-transport-security"].startswith("max-age=")


def test_no_key_is_401_with_a_bearer_challenge(client: Any) -> None:
    response = client.post(EVENTS, json={}, headers=STRUCTURED)

    body = assert_problem(response, 401)
    assert response.headers["www-authenticate"] == "Bearer"
    assert body["title"] == "Unauthorized"
    assert_contract_headers(response)


@pytest.mark.parametrize("authorization", ["Bearer glk_unknown", "Bearer ", "Token abc", "glk_abc", "Basic !!!"])
def test_an_unknown_or_malformed_key_is_401(client: Any, partners: Partners, authorization: str) -> None:
    response = client.post(
        EVENTS, json=_contact(partners.youth_coach), headers={"Authorization": authorization, **STRUCTURED}
    )

    assert_problem(response, 401)
    assert response.headers["www-authenticate"] == "Bearer"
    assert count("events") == 0


def test_a_valid_key_sent_as_http_basic_is_401_outside_the_odata_feed(client: Any, partners: Partners) -> None:
    # Basic is the OData feed's, for BI tools; a browser would send remembered Basic credentials along with any
    # request a web page makes, so the write endpoints refuse them.
    coach = partners.youth_coach
    basic = base64.b64encode(f"{coach.key_id}:{coach.key}".encode()).decode()

    response = client.post(EVENTS, json=_contact(coach), headers={"Authorization": f"Basic {basic}", **STRUCTURED})

    assert_problem(response, 401)
    assert "OData feed only" in response.json()["detail"]
    assert count("events") == 0


def test_a_revoked_key_is_401(client: Any, partners: Partners) -> None:
    coach = partners.youth_coach
    assert post(client, coach, _contact(coach)).status_code == 202

    assert admin.revoke_key(uuid.UUID(coach.key_id)) is True
    response = post(client, coach, _contact(coach))

    assert_problem(response, 401)
    assert response.headers["www-authenticate"] == "Bearer"
    assert count("events") == 1


def test_a_second_key_of_the_partner_still_works_after_a_revocation(client: Any, partners: Partners) -> None:
    coach = partners.youth_coach
    _, other_key = admin.create_key(uuid.UUID(coach.id), ["events:write"], None)
    admin.revoke_key(uuid.UUID(coach.key_id))

    response = client.post(EVENTS, json=_contact(coach), headers={"Authorization": f"Bearer {other_key}", **STRUCTURED})

    assert response.status_code == 202


def test_a_key_without_events_write_is_403(client: Any) -> None:
    reader = make_partner(["youth-coach"], scopes=["signals:read", "reporting:read"])

    response = post(client, reader, _contact(reader))

    body = assert_problem(response, 403)
    assert body["title"] == "Forbidden"
    assert "events:write" in body["detail"]
    assert "forbiddenEvents" not in body
    assert count("events") == 0


def test_every_answer_carries_the_contract_headers(client: Any, partners: Partners) -> None:
    coach = partners.youth_coach
    bad = _contact(coach)
    bad["data"]["channel"] = "letter"
    answers = [
        post(client, coach, _contact(coach)),
        post(client, coach, bad),
        client.post(EVENTS, json={}, headers=STRUCTURED),
        client.post(EVENTS, content=b"x", headers={**coach.headers, "Content-Type": "text/plain"}),
        client.get("/intake/v1/health"),
        client.get("/intake/v1/openapi.json"),
        client.get("/intake/v1/nothing-here"),
        client.get(EVENTS, headers=coach.headers),
    ]
    assert [a.status_code for a in answers] == [202, 400, 401, 415, 200, 200, 404, 405]
    for answer in answers:
        assert_contract_headers(answer)
    assert len({a.headers["api-version"] for a in answers}) == 1
    for answer in answers[1:4] + answers[6:]:
        assert_problem(answer, answer.status_code)


def test_openapi_is_public_and_describes_the_contract(client: Any) -> None:
    response = client.get("/intake/v1/openapi.json")

    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == "*"
    document = response.json()
    assert document["openapi"].startswith("3.")
    info = document["info"]
    assert SEMVER.match(info["version"])
    assert info["version"] == response.headers["api-version"]
    assert set(info["contact"]) >= {"name", "url", "email"}
    assert all(info["contact"][k] for k in ("name", "url", "email"))
    operation = document["paths"]["/intake/v1/events"]["post"]
    assert "422" not in operation["responses"]
    assert {"202", "400", "401", "403", "413", "415"} <= set(operation["responses"])
    assert {
        "application/cloudevents+json",
        "application/cloudevents-batch+json",
        "application/json",
    } == set(operation["requestBody"]["content"])
    assert all("/signals/" not in p and "/reporting/" not in p for p in document["paths"])


def test_health_is_public(client: Any) -> None:
    response = client.get("/intake/v1/health")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert_contract_headers(response)


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/intake/v1/events/"),
        ("GET", "/intake/v1/health/"),
        ("GET", "/intake/v1/openapi.json/"),
        ("GET", "/intake/v1/"),
    ],
)
def test_a_trailing_slash_is_404_never_a_redirect(client: Any, partners: Partners, method: str, path: str) -> None:
    coach = partners.youth_coach
    response = client.request(
        method, path, json=_contact(coach), headers={**coach.headers, **STRUCTURED}, follow_redirects=False
    )

    assert_problem(response, 404)
    assert "location" not in response.headers
    assert count("events") == 0
