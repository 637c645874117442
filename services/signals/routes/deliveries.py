# SPDX-License-Identifier: EUPL-1.2
"""`/subscriptions/{id}/deliveries`, replay and recover: a partner's delivery log (interface.md, "Webhooks").

Every route needs `subscriptions:manage` (403 before any existence check); another partner's subscription or
delivery is a 404.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse

from services.core.auth import Caller
from services.core.dependencies import DbSession, caller_with
from services.core.scopes import Scope
from services.signals.dependencies import PAGE_SIZE, PageSize, PageStart, answer, next_url
from services.signals.schemas_deliveries import (
    DeliveryPageRead,
    DeliveryRead,
    DeliveryStatus,
    RecoverCreate,
    RecoverRead,
)
from services.signals.webhooks import deliveries
from services.signals.webhooks.event_types import EventType

router = APIRouter(tags=["subscriptions"])
Manager = Annotated[Caller, Depends(caller_with(Scope.SUBSCRIPTIONS_MANAGE))]
NOT_VISIBLE: dict[int | str, dict[str, Any]] = {404: {"description": "No such subscription or delivery of the caller."}}
DISABLED: dict[int | str, dict[str, Any]] = {409: {"description": "The subscription is disabled, or still sending it."}}
Moment = Annotated[datetime | None, Query(description="RFC 3339 with an offset; by the time the delivery was written.")]


@router.get(
    "/subscriptions/{subscription_id}/deliveries",
    response_model=DeliveryPageRead,
    summary="The subscription's deliveries, newest first",
    description=(
        "Each delivery with every attempt (time, duration, HTTP status, error class). Filters: `status`, `type`, "
        "and `since` <= written < `until`. Pages of 50; follow `next` until it is null."
    ),
    responses=NOT_VISIBLE,
)
def list_deliveries(
    subscription_id: str,
    request: Request,
    session: DbSession,
    caller: Manager,
    after: PageStart,
    status: Annotated[DeliveryStatus | None, Query()] = None,
    type_: Annotated[EventType | None, Query(alias="type")] = None,
    since: Moment = None,
    until: Moment = None,
    limit: PageSize = PAGE_SIZE,
) -> JSONResponse:
    items, following = deliveries.list_deliveries(
        session,
        caller,
        subscription_id,
        status=status,
        type_=type_,
        since=since,
        until=until,
        after=after,
        limit=limit,
    )
    return answer(DeliveryPageRead(items=items, next=next_url(request, following)))


@router.post(
    "/subscriptions/{subscription_id}/deliveries/{delivery_id}/replay",
    status_code=202,
    response_model=DeliveryRead,
    summary="Send one delivery again",
    description="Sent again with its original `webhook-id`, the retry schedule from its start.",
    responses={**NOT_VISIBLE, **DISABLED},
)
def replay_delivery(subscription_id: str, delivery_id: str, session: DbSession, caller: Manager) -> JSONResponse:
    return answer(deliveries.replay(session, caller, subscription_id, delivery_id), status_code=202)


@router.post(
    "/subscriptions/{subscription_id}/recover",
    status_code=202,
    response_model=RecoverRead,
    summary="Send failed and skipped deliveries again",
    description=(
        "Every failed or skipped delivery written in `since` <= t < `until` is sent again with its original "
        "`webhook-id`; `count` says how many."
    ),
    responses={**NOT_VISIBLE, **DISABLED},
)
def recover(subscription_id: str, body: RecoverCreate, session: DbSession, caller: Manager) -> JSONResponse:
    return answer(deliveries.recover(session, caller, subscription_id, body), status_code=202)
