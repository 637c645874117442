# SPDX-License-Identifier: EUPL-1.2
"""Fixtures of the privacy tests: one partner per role, and a registered youth with an enrolment."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner, Result

from services.cli.main import app
from tests.intake.support import SCHOOL_BRIN, Partners, make_partners
from tests.signals.api_support import YouthRef, make_youths
from tests.signals.support import World

ENROLLED = {
    "episodeId": "enr-1",
    "brin": SCHOOL_BRIN,
    "sector": "vo",
    "track": "havo",
    "grade": 3,
    "finalYear": False,
    "startDate": "2025-08-18",
}


@pytest.fixture
def parties() -> Partners:
    return make_partners()


@pytest.fixture
def youth(client: TestClient, parties: Partners) -> YouthRef:
    return make_youths(client, parties.municipality, extra=[(parties.school, "education.enrolled", ENROLLED)])[0]


@pytest.fixture
def world(client: TestClient, parties: Partners, settings_env: pytest.MonkeyPatch) -> World:
    return World(client, parties, settings_env)


def cli(*args: str) -> Result:
    return CliRunner().invoke(app, list(args))
