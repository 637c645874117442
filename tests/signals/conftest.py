# SPDX-License-Identifier: EUPL-1.2
"""Fixtures of the signals tests."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.intake.support import Partners, make_partners
from tests.signals.receiver import Receiver
from tests.signals.support import World
from tests.signals.webhook_support import Hook, subscribe


@pytest.fixture
def partners() -> Partners:
    """One partner per role (the municipality first registered), each key with every scope it may hold."""
    return make_partners()


@pytest.fixture
def world(client: TestClient, partners: Partners, settings_env: pytest.MonkeyPatch) -> World:
    return World(client, partners, settings_env)


@pytest.fixture
def hook(client: TestClient, partners: Partners, settings_env: pytest.MonkeyPatch, receiver: Receiver) -> Hook:
    """Leerplicht subscribed to status changes at `receiver`."""
    return subscribe(client, partners, settings_env, receiver.url)
