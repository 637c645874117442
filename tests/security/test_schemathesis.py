# SPDX-License-Identifier: EUPL-1.2
"""Property-based requests against the three OpenAPI documents (schemathesis): never a server error, never a
status code the document does not list.

Each operation is tried with `MAX_EXAMPLES` generated requests, carrying a valid key of the municipality (every
scope) so that the generated input reaches the handlers instead of stopping at 401. The budget is chosen so that
the whole file runs in about a minute on two shared cores.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import status_code_conformance

from services.app import build_app
from services.cli import admin
from services.core.scopes import Scope

MAX_EXAMPLES = 25
APP = build_app("all")
SCHEMAS = {
    name: schemathesis.openapi.from_asgi(f"/{name}/v1/openapi.json", APP) for name in ("intake", "signals", "reporting")
}


@pytest.fixture
def headers() -> Iterator[dict[str, str]]:
    partner = admin.add_partner(name="fuzzer", roles=["municipality"], oin="00000000000000009999", kvk=None, brins=[])
    _, key = admin.create_key(partner, [s.value for s in Scope], None)
    yield {"Authorization": f"Bearer {key}", "X-Purpose": "schemathesis"}


def _run(case: schemathesis.Case, headers: dict[str, str]) -> None:
    case.call_and_validate(headers=headers, checks=[not_a_server_error, status_code_conformance])


FUZZ = settings(max_examples=MAX_EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))


@SCHEMAS["intake"].parametrize()
@FUZZ
def test_intake(case: schemathesis.Case, headers: dict[str, str]) -> None:
    _run(case, headers)


@SCHEMAS["signals"].parametrize()
@FUZZ
def test_signals(case: schemathesis.Case, headers: dict[str, str]) -> None:
    _run(case, headers)


@SCHEMAS["reporting"].parametrize()
@FUZZ
def test_reporting(case: schemathesis.Case, headers: dict[str, str]) -> None:
    _run(case, headers)
