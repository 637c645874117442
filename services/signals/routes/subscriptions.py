# SPDX-License-Identifier: EUPL-1.2
"""`/subscriptions`: a partner's webhook subscriptions (interface.md, "Webhooks").

Every route needs `subscriptions:manage` (403 before any existence check); another partner's subscription is a
404. The signing secret is in the answer only at creation and rotation.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import JSONResponse

from services.core.auth import Caller
from services.core.dependencies import DbSession, caller_with
from services.core.scopes import Scope
from services.signals.dependencies import PAGE_SIZE, PageSize, PageStart, answer, next_url
from services.signals.schemas_subscriptions import (
    SubscriptionCreate,
    SubscriptionPageRead,
    SubscriptionRead,
    SubscriptionSecretRead,
    SubscriptionUpdate,
)
from services.signals.webhooks import subscriptions

router = APIRouter(tags=["subscriptions"])
Manager = Annotated[Caller, Depends(caller_with(Scope.SUBSCRIPTIONS_MANAGE))]
NOT_VISIBLE: dict[int | str, dict[str, Any]] = {404: {"description": "No such subscription of the caller's partner."}}


@router.post(
    "/subscriptions",
    status_code=201,
    response_model=SubscriptionSecretRead,
    summary="Subscribe to events by webhook",
    description=(
        "The URL must be https and resolve to public addresses only. With `handshake: true` the target must "
        "first consent to the CloudEvents web hook handshake. The `secret` is shown only in this answer."
    ),
)
def create_subscription(
    body: SubscriptionCreate, request: Request, session: DbSession, caller: Manager
) -> JSONResponse:
    # The handshake's origin is the host the partner reached us at: the name it knows this service by.
    created = subscriptions.create(session, caller, body, origin=request.url.hostname or "localhost")
    location = str(request.url_for("get_subscription", subscription_id=str(created.id)))
    return answer(created, status_code=201, headers={"Location": location})


@router.get("/subscriptions", response_model=SubscriptionPageRead, summary="The partner's subscriptions")
def list_subscriptions(
    request: Request, session: DbSession, caller: Manager, after: PageStart, limit: PageSize = PAGE_SIZE
) -> JSONResponse:
    items, following = subscriptions.list_subscriptions(session, caller, after, limit)
    return answer(SubscriptionPageRead(items=items, next=next_url(request, following)))


@router.get(
    "/subscriptions/{subscription_id}",
    response_model=SubscriptionRead,
    summary="One subscription",
    name="get_subscription",
    responses=NOT_VISIBLE,
)
def get_subscription(subscription_id: str, session: DbSession, caller: Manager) -> JSONResponse:
    return answer(subscriptions.get(session, caller, subscription_id))


@router.patch(
    "/subscriptions/{subscription_id}",
    response_model=SubscriptionRead | SubscriptionSecretRead,
    summary="Change a subscription",
    description=(
        '`{"status": "active"}` re-enables a disabled subscription. `"rotateSecret": true` answers with a new '
        "`secret`; the old one keeps signing for the grace period (GLANSRIJK_SECRET_ROTATION_HOURS)."
    ),
    responses=NOT_VISIBLE,
)
def change_subscription(
    subscription_id: str, change: SubscriptionUpdate, session: DbSession, caller: Manager
) -> JSONResponse:
    return answer(subscriptions.update(session, caller, subscription_id, change))


@router.post(
    "/subscriptions/{subscription_id}/rotate-secret",
    response_model=SubscriptionSecretRead,
    summary="Rotate the signing secret",
    description="The new `secret` is shown only in this answer; the old one keeps signing for the grace period.",
    responses=NOT_VISIBLE,
)
def rotate_secret(subscription_id: str, session: DbSession, caller: Manager) -> JSONResponse:
    return answer(subscriptions.rotate_secret(session, caller, subscription_id))


@router.delete(
    "/subscriptions/{subscription_id}", status_code=204, summary="Delete a subscription", responses=NOT_VISIBLE
)
def delete_subscription(subscription_id: str, session: DbSession, caller: Manager) -> Response:
    subscriptions.delete(session, caller, subscription_id)
    return Response(status_code=204)
