# SPDX-License-Identifier: EUPL-1.2
"""Fixtures of the reporting tests."""

from __future__ import annotations

import uuid

import pytest
from fastapi.testclient import TestClient

from services.cli import admin
from tests.factories import TestPartner
from tests.intake.support import Partners, make_partners
from tests.reporting.support import ReportWorld


@pytest.fixture
def partners() -> Partners:
    return make_partners()


@pytest.fixture
def world(client: TestClient, partners: Partners, settings_env: pytest.MonkeyPatch) -> ReportWorld:
    settings_env.setenv("GLANSRIJK_EDUCATION_DATA_COMPLETE", "true")
    return ReportWorld(client, partners, settings_env)


@pytest.fixture
def reader(partners: Partners) -> TestPartner:
    """A BI tool's key of the municipality: reporting scopes only."""
    municipality = partners.municipality
    key_id, key = admin.create_key(uuid.UUID(municipality.id), ["reporting:read", "reporting:manage"], None)
    return TestPartner(municipality.id, key, str(key_id), municipality.oin, municipality.roles)
