# SPDX-License-Identifier: EUPL-1.2
"""The signals API (`/signals/v1`): signals, youths, handovers, escalations, subscriptions."""

from __future__ import annotations

from fastapi import APIRouter

from services.core.http import ServiceApi, health_router
from services.signals.routes import chain, deliveries, handovers, privacy, signals, subscriptions, youths

router = APIRouter(prefix="/signals/v1", redirect_slashes=False)
router.include_router(health_router())
for module in (signals, youths, privacy, handovers, chain, subscriptions, deliveries):
    router.include_router(module.router)

SERVICE = ServiceApi(
    name="signals",
    prefix="/signals/v1",
    title="Glansrijk signals",
    description="Early-warning signals routed to the partner whose task it is, accountability and webhooks.",
    router=router,
    tags=[
        {"name": "signals", "description": "Early warnings routed to the partner whose task it is."},
        {"name": "youths", "description": "A youth's timeline and the audited identity lookup."},
        {"name": "privacy", "description": "The youth's rights: its audit log, an export of its data, its objection."},
        {"name": "handovers", "description": "Handing a youth's accountability (regie) to another partner."},
        {"name": "chain", "description": "The ketenregisseur: escalations and the accountability override."},
    ],
)
