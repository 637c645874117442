# SPDX-License-Identifier: EUPL-1.2
"""Bad input beyond the schema: hypothesis turns valid CloudEvents of every type into hostile ones (deep
nesting, huge strings, NUL bytes, unicode in any field, numbers out of range, impossible dates, broken JSON).

Every answer must be a 2xx, or a 4xx in problem+json; never a 5xx. Nothing is half-stored: a request that is
not accepted stores no event, and an accepted one stores exactly the events it reports as accepted.
"""

from __future__ import annotations

import copy
import json
import re
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import event as event_note
from hypothesis import strategies as st

from tests.factories import TestPartner, bsn, event
from tests.intake.support import VALID, Partners, count, make_partners, person_for

ROLE_ATTRIBUTES = {"social-services": "social", "youth-care": "youth_care", "youth-coach": "youth_coach"}
EVENTS = "/intake/v1/events"
BATCH = {"Content-Type": "application/cloudevents-batch+json"}
STRUCTURED = {"Content-Type": "application/cloudevents+json"}

hostile_strings = st.one_of(
    st.text(max_size=50),
    st.text(alphabet=st.characters(codec="utf-8"), min_size=1, max_size=20).map(lambda s: s + "\x00" + s),
    st.integers(min_value=1_000, max_value=200_000).map(lambda n: "x" * n),
    st.sampled_from(
        [
            "0000-00-00",
            "2023-02-29",
            "2024-02-30",
            "9999-12-31T23:59:60Z",
            "2026-13-01",
            "-0001-01-01",
            "2026-01-12T25:00:00+01:00",
            "\u202e\u200b\ufeff",
            "\U0001d53e\U0001d55d\U0001d552\U0001d55f\U0001d564",  # mathematical letters outside the BMP
            "' OR 1=1 --",
            "../../etc/passwd",
        ]
    ),
)
hostile_numbers = st.one_of(
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from([10**400, -1, 0, 1e308, -1e-308]),
)
leaves = st.one_of(st.none(), st.booleans(), hostile_numbers, hostile_strings)
values = st.recursive(
    leaves,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=10), inner, max_size=4)),
    max_leaves=20,
)


DEEP = "__deeply_nested_{}__"


def deep(levels: int) -> str:
    """A placeholder that `_body` writes as `levels` nested objects and lists (too deep to build as Python
    objects and serialise: the encoder would hit the recursion limit before the server is tested)."""
    return DEEP.format(levels)


hostile_values = st.one_of(values, st.integers(min_value=50, max_value=5_000).map(deep))


def _paths(document: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every place in a JSON document that a value can be put: each key of each object, each list item."""
    found = [prefix]
    if isinstance(document, dict):
        for key, value in document.items():
            found += _paths(value, (*prefix, key))
    elif isinstance(document, list):
        for index, value in enumerate(document):
            found += _paths(value, (*prefix, index))
    return found


def _put(document: Any, path: tuple[Any, ...], value: Any) -> Any:
    if not path:
        return value
    target = document
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value
    return document


Hostile = tuple[TestPartner, dict[str, Any], dict[str, Any]]


@st.composite
def hostile_events(draw: st.DrawFn, partners: Partners) -> Hostile:
    """A valid event of some type with one value somewhere replaced by a hostile one (or a field added), and a
    valid event of the same type and partner to go with it in a batch."""
    type_ = draw(st.sampled_from(sorted(VALID)))
    role, data = VALID[type_]
    partner: TestPartner = getattr(partners, ROLE_ATTRIBUTES.get(role, role))

    def valid() -> dict[str, Any]:
        return event(partner, type_, copy.deepcopy(data), person=person_for(type_, bsn()), id_=draw(st.uuids()).hex)

    body = valid()
    if draw(st.integers(min_value=0, max_value=5)) == 0:
        return partner, body, valid()  # now and then the untouched event: the accepted path is checked too
    path = draw(st.sampled_from(_paths(body)))
    if draw(st.booleans()) and isinstance(_get(body, path), dict):
        path = (*path, draw(st.text(min_size=1, max_size=12)))  # an extra (unknown) field
    return partner, _put(body, path, draw(hostile_values)), valid()


def _get(document: Any, path: tuple[Any, ...]) -> Any:
    for step in path:
        document = document[step]
    return document


def _body(payload: Any) -> bytes:
    # The standard library writes what a careless client would: 10**400 as digits, lone surrogates escaped.
    text = json.dumps(payload)
    for levels in {int(n) for n in re.findall(r"__deeply_nested_(\d+)__", text)}:
        text = text.replace(f'"{DEEP.format(levels)}"', '{"a": [' * levels + '"bottom"' + "]}" * levels)
    return text.encode("utf-8")


@pytest.fixture
def fuzz_partners() -> Partners:
    # Per test, not per example: the database is emptied after each test, and hypothesis runs many examples.
    return make_partners()


def _check(response: Any, before: int) -> None:
    event_note(f"status {response.status_code}")  # `--hypothesis-show-statistics` shows the spread
    assert response.status_code < 500, response.text[:500]
    stored = count("events") - before
    if response.status_code == 202:
        assert stored == response.json()["accepted"]
    else:
        assert response.status_code >= 400
        assert response.headers["content-type"] == "application/problem+json", response.text[:300]
        problem = response.json()
        assert {"type", "title", "status", "detail"} <= problem.keys()
        assert stored == 0, "a refused request stored events"


@settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_hostile_events_are_refused_cleanly_or_stored_whole(
    client: TestClient, fuzz_partners: Partners, data: st.DataObject
) -> None:
    partner, hostile, companion = data.draw(hostile_events(fuzz_partners))
    before = count("events")
    if data.draw(st.booleans()):
        response = client.post(EVENTS, content=_body(hostile), headers={**partner.headers, **STRUCTURED})
    else:
        # Beside a valid event of the same type and partner: all or nothing.
        batch = data.draw(st.permutations([hostile, companion]))
        response = client.post(EVENTS, content=_body(batch), headers={**partner.headers, **BATCH})
    _check(response, before)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(raw=st.one_of(st.binary(max_size=2_000), st.text(max_size=2_000).map(lambda s: s.encode("utf-8", "replace"))))
def test_bodies_that_are_not_json_are_refused_cleanly(client: TestClient, fuzz_partners: Partners, raw: bytes) -> None:
    before = count("events")
    for headers in (STRUCTURED, BATCH):
        response = client.post(EVENTS, content=raw, headers={**fuzz_partners.school.headers, **headers})
        _check(response, before)
