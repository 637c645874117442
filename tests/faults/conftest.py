# SPDX-License-Identifier: EUPL-1.2
"""The fault suite runs real processes (API servers, Celery workers and beats, Redis, Postgres, webhook
receivers) and injects each fault for real; every test is marked `faults`."""

from __future__ import annotations

import pytest


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/faults/" in str(item.fspath):
            item.add_marker(pytest.mark.faults)
