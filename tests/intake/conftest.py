# SPDX-License-Identifier: EUPL-1.2
"""Fixtures of the intake tests."""

from __future__ import annotations

import pytest

from tests.intake.support import Partners, make_partners


@pytest.fixture
def partners() -> Partners:
    """One partner per role, each with a key holding every scope it may hold."""
    return make_partners()
