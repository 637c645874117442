# SPDX-License-Identifier: EUPL-1.2
"""The signals API (`/signals/v1`): signals, youths, handovers, escalations, subscriptions."""

from __future__ import annotations

from fastapi import APIRouter

from services.core.http import ServiceApi, health_router

router = APIRouter(prefix="/signals/v1", redirect_slashes=False)
router.include_router(health_router())

SERVICE = ServiceApi(
    name="signals",
    prefix="/signals/v1",
    title="Glansrijk signals",
    description="Early-warning signals routed to the partner whose task it is, accountability and webhooks.",
    router=router,
)
