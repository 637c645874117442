# SPDX-License-Identifier: EUPL-1.2
"""Content modes (structured, batched, binary), size limits, and the order in which intake checks a request."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.factories import BATCH, STRUCTURED, bsn, event, make_partner, post
from tests.intake.support import SCHOOL_BRIN, VALID, Partners, count, names

EVENTS = "/intake/v1/events"


def _contact(partners: Partners, **kwargs: Any) -> dict[str, Any]:
    return event(partners.youth_coach, "support.contact", VALID["support.contact"][1], person={"bsn": bsn()}, **kwargs)


def _absence(partners: Partners, week: str = "2026-01-12", **data: Any) -> dict[str, Any]:
    body = {**VALID["education.absence-reported"][1], "weekStart": week, **data}
    return event(partners.school, "education.absence-reported", body, person={"bsn": bsn()})


def test_a_batch_lists_every_failing_field_of_every_event(client: Any, partners: Partners) -> None:
    good = _absence(partners)
    bad_week = _absence(partners, week="2026-01-15")
    bad_many = _absence(partners, scheduledHours="26", remark="x")
    bad_many["data"]["person"] = {"bsn": "123456789"}
    del bad_many["time"]
    bad_subject = _absence(partners)
    bad_subject["subject"] = "pupil"

    response = post(client, partners.school, [good, bad_week, bad_many, bad_subject])

    assert response.status_code == 400
    assert sorted(names(response)) == sorted(
        [
            "/1/data/weekStart",
            "/2/time",
            "/2/data/person/bsn",
            "/2/data/scheduledHours",
            "/2/data/remark",
            "/3/subject",
        ]
    )
    reasons = {p["name"]: p["reason"] for p in response.json()["invalidParams"]}
    assert reasons["/1/data/weekStart"] == "must be a Monday"
    assert reasons["/2/data/remark"] == "is not a known property"
    assert count("events") == count("youths") == count("event_batches") == count("absence_weeks") == 0


def test_a_batch_with_one_bad_event_stores_nothing(client: Any, partners: Partners) -> None:
    batch = [_absence(partners, week=w) for w in ("2026-01-05", "2026-01-12", "2026-01-19")]
    batch.append(_absence(partners, week="2026-01-27"))

    response = post(client, partners.school, batch)

    assert response.status_code == 400
    assert names(response) == ["/3/data/weekStart"]
    assert count("events") == count("youths") == count("absence_weeks") == count("event_batches") == 0
    # The same batch without the bad event is accepted in full, in request order.
    accepted = post(client, partners.school, batch[:3])
    assert accepted.status_code == 202
    assert accepted.json() == {
        "accepted": 3,
        "duplicates": 0,
        "results": [{"index": i, "id": e["id"], "status": "accepted"} for i, e in enumerate(batch[:3])],
    }
    assert count("absence_weeks") == 3


def test_a_batch_element_that_is_not_an_object(client: Any, partners: Partners) -> None:
    response = post(client, partners.youth_coach, [_contact(partners), "event", 7])

    assert response.status_code == 400
    assert names(response) == ["/1", "/2"]


@pytest.mark.parametrize(
    ("content_type", "body", "name"),
    [
        (BATCH["Content-Type"], b'{"specversion": "1.0"}', ""),
        (BATCH["Content-Type"], b"[{", ""),
        (STRUCTURED["Content-Type"], b"not json", ""),
        (STRUCTURED["Content-Type"], b"[]", ""),
    ],
)
def test_a_body_that_is_not_the_right_json(
    client: Any, partners: Partners, content_type: str, body: bytes, name: str
) -> None:
    response = client.post(EVENTS, content=body, headers={**partners.school.headers, "Content-Type": content_type})

    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"
    assert names(response) == [name]


def test_an_empty_batch_accepts_nothing(client: Any, partners: Partners) -> None:
    response = post(client, partners.school, [])

    assert response.status_code == 202
    assert response.json() == {"accepted": 0, "duplicates": 0, "results": []}
    assert count("events") == count("event_batches") == 0


def test_1000_events_are_accepted(client: Any, partners: Partners) -> None:
    batch = [_contact(partners) for _ in range(1000)]

    response = post(client, partners.youth_coach, batch)

    assert response.status_code == 202
    assert response.json()["accepted"] == 1000
    assert count("events") == count("youths") == count("facts") == 1000


def test_1001_events_are_too_many(client: Any, partners: Partners) -> None:
    batch = [_contact(partners) for _ in range(1001)]

    response = post(client, partners.youth_coach, batch)

    assert response.status_code == 413
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["title"] == "Content Too Large"
    assert "1000" in response.json()["detail"]
    assert count("events") == 0


@pytest.mark.parametrize("streamed", [False, True], ids=["content-length", "chunked"])
def test_a_body_over_5_mib_is_too_large(client: Any, partners: Partners, streamed: bool) -> None:
    size = 5 * 1024 * 1024 + 1
    body = b"[" + b" " * (size - 2) + b"]"
    assert len(body) == size
    content: Any = iter([body[: size // 2], body[size // 2 :]]) if streamed else body

    response = client.post(EVENTS, content=content, headers={**partners.school.headers, **BATCH})

    assert response.status_code == 413
    assert response.json()["status"] == 413


def test_a_body_of_exactly_5_mib_is_read(client: Any, partners: Partners) -> None:
    size = 5 * 1024 * 1024
    body = b"[" + b" " * (size - 2) + b"]"

    response = client.post(EVENTS, content=body, headers={**partners.school.headers, **BATCH})

    assert response.status_code == 202
    assert response.json()["accepted"] == 0


def test_one_event_over_64_kib_is_too_large_in_a_batch(client: Any, partners: Partners) -> None:
    big = _contact(partners)
    big["data"]["remark"] = "x" * (64 * 1024)  # also invalid: 413 is answered before validation

    response = post(client, partners.youth_coach, [_contact(partners), big])

    assert response.status_code == 413
    assert "[1]" in response.json()["detail"]
    assert count("events") == 0


def test_one_event_over_64_kib_is_too_large_in_structured_mode(client: Any, partners: Partners) -> None:
    big = _contact(partners)
    big["data"]["remark"] = "x" * (64 * 1024)

    response = post(client, partners.youth_coach, big)

    assert response.status_code == 413


def test_whitespace_does_not_count_toward_the_64_kib(client: Any, partners: Partners) -> None:
    # The same event is measured as in a batch (its compact JSON), whether pretty-printed or posted alone.
    role, data = VALID["support.contact"]
    sent = event(partners.by_role(role), "support.contact", data, person={"bsn": bsn()})
    body = json.dumps(sent, indent=8000)
    assert len(body) > 64 * 1024 > len(json.dumps(sent))

    response = client.post(EVENTS, content=body, headers={**partners.by_role(role).headers, **STRUCTURED})

    assert response.status_code == 202, response.text


def _binary_headers(partner: Any, type_: str, **extra: str) -> dict[str, str]:
    headers = {
        **partner.headers,
        "Content-Type": "application/json",
        "ce-specversion": "1.0",
        "ce-id": f"bin-{bsn()}",
        "ce-source": partner.source,
        "ce-type": f"nl.glansrijk.{type_}",
        "ce-time": "2026-01-19T08:15:00Z",
    }
    headers.update(extra)
    return headers


def test_binary_mode_is_accepted(client: Any, partners: Partners) -> None:
    data = {**VALID["education.absence-reported"][1], "person": {"bsn": bsn()}}
    headers = _binary_headers(partners.school, "education.absence-reported")

    response = client.post(EVENTS, content=json.dumps(data), headers=headers)

    assert response.status_code == 202, response.text
    assert response.json() == {
        "accepted": 1,
        "duplicates": 0,
        "results": [{"index": 0, "id": headers["ce-id"], "status": "accepted"}],
    }
    assert count("absence_weeks") == 1
    # The same ce-id again is a duplicate, as in the other modes.
    again = client.post(EVENTS, content=json.dumps(data), headers=headers)
    assert again.json()["results"][0]["status"] == "duplicate"


def test_binary_mode_names_its_errors(client: Any, partners: Partners) -> None:
    data = {**VALID["education.absence-reported"][1], "weekStart": "2026-01-13", "person": {"bsn": bsn()}}
    headers = _binary_headers(partners.school, "education.absence-reported", **{"ce-subject": "pupil"})
    del headers["ce-time"]

    response = client.post(EVENTS, content=json.dumps(data), headers=headers)

    assert response.status_code == 400
    assert sorted(names(response)) == ["/weekStart", "ce-subject", "ce-time"]
    assert count("events") == 0


def test_binary_mode_checks_the_source_and_the_size(client: Any, partners: Partners) -> None:
    data = {**VALID["support.contact"][1], "person": {"bsn": bsn()}}
    foreign = _binary_headers(partners.youth_coach, "support.contact", **{"ce-source": partners.school.source})
    assert client.post(EVENTS, content=json.dumps(data), headers=foreign).status_code == 403

    big = {**data, "remark": "x" * (64 * 1024)}
    headers = _binary_headers(partners.youth_coach, "support.contact")
    assert client.post(EVENTS, content=json.dumps(big), headers=headers).status_code == 413


@pytest.mark.parametrize(
    "content_type",
    ["text/plain", "application/xml", "application/cloudevents", "multipart/form-data; boundary=x", None],
)
def test_any_other_content_type_is_415(client: Any, partners: Partners, content_type: str | None) -> None:
    headers = dict(partners.youth_coach.headers)
    if content_type is not None:
        headers["Content-Type"] = content_type

    response = client.post(EVENTS, content=json.dumps(_contact(partners)), headers=headers)

    assert response.status_code == 415
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["title"] == "Unsupported Media Type"
    assert count("events") == 0


def test_media_type_parameters_and_case_are_accepted(client: Any, partners: Partners) -> None:
    headers = {**partners.youth_coach.headers, "Content-Type": "Application/CloudEvents+JSON; charset=utf-8"}

    response = client.post(EVENTS, content=json.dumps(_contact(partners)), headers=headers)

    assert response.status_code == 202


# The order of checks: 401, 403 (scope), 415, 413, 403 (authority), 400.


def _oversized_foreign_invalid_batch(partners: Partners) -> bytes:
    """1001 events from another partner's source, all invalid: 413, 403 and 400 all apply."""
    batch = [_absence(partners, week="2026-01-13") for _ in range(1001)]
    return json.dumps(batch).encode()


def test_401_comes_first(client: Any, partners: Partners) -> None:
    body = _oversized_foreign_invalid_batch(partners)

    response = client.post(EVENTS, content=body, headers={"Content-Type": "text/plain"})

    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"


def test_403_scope_before_415(client: Any) -> None:
    reader = make_partner(["youth-coach"], scopes=["signals:read"])

    response = client.post(EVENTS, content=b"<xml/>", headers={**reader.headers, "Content-Type": "text/xml"})

    assert response.status_code == 403
    assert response.json()["type"].endswith("/forbidden")
    assert "events:write" in response.json()["detail"]


def test_415_before_413(client: Any, partners: Partners) -> None:
    body = b"x" * (5 * 1024 * 1024 + 10)

    response = client.post(EVENTS, content=body, headers={**partners.school.headers, "Content-Type": "text/plain"})

    assert response.status_code == 415


def test_413_before_authority_and_validation(client: Any, partners: Partners) -> None:
    body = _oversized_foreign_invalid_batch(partners)

    response = client.post(EVENTS, content=body, headers={**partners.youth_coach.headers, **BATCH})

    assert response.status_code == 413


def test_authority_before_validation_naming_every_index(client: Any, partners: Partners) -> None:
    invalid = _contact(partners)
    invalid["data"]["channel"] = "letter"
    foreign = event(partners.youth_coach, "support.contact", VALID["support.contact"][1], person={"bsn": bsn()})
    foreign["source"] = partners.school.source
    care = event(partners.youth_coach, "care.started", VALID["care.started"][1], person={"bsn": bsn()})

    response = post(client, partners.youth_coach, [invalid, foreign, _contact(partners), care])

    assert response.status_code == 403
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["type"].endswith("/forbidden-event")
    assert [f["index"] for f in body["forbiddenEvents"]] == [1, 3]
    assert body["forbiddenEvents"][0]["reason"] == "the source belongs to another partner"
    assert "care.started" in body["forbiddenEvents"][1]["reason"]
    assert "1, 3" in body["detail"]
    assert count("events") == count("youths") == 0


def test_400_when_only_validation_fails(client: Any, partners: Partners) -> None:
    invalid = _absence(partners, week="2026-01-13")

    response = post(client, partners.school, [invalid])

    assert response.status_code == 400
    assert names(response) == ["/0/data/weekStart"]


def test_a_school_posts_only_its_own_brins(client: Any, partners: Partners) -> None:
    own = _absence(partners)
    foreign_brin = _absence(partners, brin="34CD")
    enrolment = event(
        partners.school, "education.enrolled", {**VALID["education.enrolled"][1], "brin": "56EF"}, person={"bsn": bsn()}
    )

    response = post(client, partners.school, [own, foreign_brin, enrolment])

    assert response.status_code == 403
    assert response.json()["forbiddenEvents"] == [
        {"index": 1, "reason": "BRIN 34CD is not administered by this partner"},
        {"index": 2, "reason": "BRIN 56EF is not administered by this partner"},
    ]
    # leerplicht and doorstroompunt post DUO facts for any BRIN.
    for poster in (partners.leerplicht, partners.doorstroompunt):
        duo = event(
            poster, "education.enrolled", {**VALID["education.enrolled"][1], "brin": "56EF"}, person={"bsn": bsn()}
        )
        assert post(client, poster, duo).status_code == 202
    assert SCHOOL_BRIN != "56EF"


@pytest.mark.parametrize(
    ("role", "type_"),
    [
        ("school", "care.started"),
        ("school", "person.registered"),
        ("youth-coach", "education.absence-reported"),
        ("leerplicht", "income.benefit-started"),
        ("youth-care", "education.exemption-granted"),
        ("social-services", "support.transition-plan"),
        ("municipality", "education.enrolled"),
    ],
)
def test_a_role_may_not_post_every_type(client: Any, partners: Partners, role: str, type_: str) -> None:
    poster = partners.by_role(role)
    sent = event(poster, type_, VALID[type_][1], person={"bsn": bsn(), "birthDate": "2010-01-01"})

    response = post(client, poster, sent)

    assert response.status_code == 403
    assert response.json()["forbiddenEvents"] == [
        {"index": 0, "reason": f"the partner's roles may not post nl.glansrijk.{type_}"}
    ]


def test_a_kvk_source_belongs_to_the_partner_with_that_kvk(client: Any) -> None:
    from services.cli import admin
    from services.core.auth import partner_cache

    partner_id = admin.add_partner(name="Coach BV", roles=["youth-coach"], oin=None, kvk="12345678", brins=[])
    key_id, key = admin.create_key(partner_id, ["events:write"], None)
    partner_cache.clear()
    headers = {"Authorization": f"Bearer {key}", **STRUCTURED}
    sent = {
        "specversion": "1.0",
        "id": "kvk-1",
        "type": "nl.glansrijk.support.contact",
        "source": "urn:nld:kvk:12345678:systeem:coach",
        "time": "2026-01-19T08:15:00Z",
        "data": {**VALID["support.contact"][1], "person": {"bsn": bsn()}},
    }

    assert client.post(EVENTS, content=json.dumps(sent), headers=headers).status_code == 202
    other = {**sent, "id": "kvk-2", "source": "urn:nld:kvk:87654321:systeem:coach"}
    assert client.post(EVENTS, content=json.dumps(other), headers=headers).status_code == 403
    assert key_id is not None
