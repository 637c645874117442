# SPDX-License-Identifier: EUPL-1.2
"""The reporting API (`/reporting/v1`): indicators, groups, measurements and the OData feed."""

from __future__ import annotations

from fastapi import APIRouter

from services.core.http import ServiceApi, health_router
from services.reporting.routes import indicators, measurements, odata

router = APIRouter(prefix="/reporting/v1", redirect_slashes=False)
router.include_router(health_router())
for sub_router in (indicators.router, measurements.router, odata.router):
    router.include_router(sub_router)

SERVICE = ServiceApi(
    name="reporting",
    prefix="/reporting/v1",
    title="Glansrijk reporting",
    description="Chain indicators, groups and baselines as JSON, CSV and OData, with disclosure control.",
    router=router,
    tags=[
        {"name": "indicators", "description": "The indicator catalogue and observations per whole period."},
        {"name": "groups", "description": "Youths per group (in view, out of view, at risk) on a month-end."},
        {"name": "measurements", "description": "Every indicator frozen at a month-end (the 0-meting), compared."},
        {"name": "odata", "description": "OData v4 feed for Power BI, Tableau and Superset (Bearer or Basic)."},
    ],
)
