# SPDX-License-Identifier: EUPL-1.2
"""The reporting API (`/reporting/v1`): indicators, groups, measurements and the OData feed."""

from __future__ import annotations

from fastapi import APIRouter

from services.core.http import ServiceApi, health_router

router = APIRouter(prefix="/reporting/v1", redirect_slashes=False)
router.include_router(health_router())

SERVICE = ServiceApi(
    name="reporting",
    prefix="/reporting/v1",
    title="Glansrijk reporting",
    description="Chain indicators, groups and baselines as JSON, CSV and OData, with disclosure control.",
    router=router,
)
