# SPDX-License-Identifier: EUPL-1.2
"""Fixtures of the intake tests."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from services.intake import api
from tests.intake.support import Partners, make_partners


@pytest.fixture
def partners() -> Partners:
    """One partner per role, each with a key holding every scope it may hold."""
    return make_partners()


def _on_a_running_loop() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


@pytest.fixture
def ways(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """For each intake request the handler saw, in order: whether it ran on the event loop (True) or on a worker
    thread (ADR 0036)."""
    seen: list[bool] = []
    accept = api._accept

    def spied(*args: Any) -> Any:
        seen.append(_on_a_running_loop())
        return accept(*args)

    monkeypatch.setattr(api, "_accept", spied)
    return seen
