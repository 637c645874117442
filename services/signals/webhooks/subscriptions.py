# SPDX-License-Identifier: EUPL-1.2
"""The logic of the subscriptions API (interface.md, "Webhooks"). Never commits.

A partner sees and changes only its own subscriptions; any other id is a 404. Every URL is checked
(`urls.check_url`) when it is set, and the optional handshake asks the target for consent before creating.
"""

from __future__ import annotations

import uuid

from sqlalchemy.orm import Session

from services.core.auth import Caller
from services.core.clock import utcnow
from services.core.identity import encrypt
from services.core.models import Subscription
from services.core.problems import InvalidParam, Problem, bad_request
from services.signals.schemas_subscriptions import (
    SubscriptionCreate,
    SubscriptionRead,
    SubscriptionSecretRead,
    SubscriptionUpdate,
)
from services.signals.webhooks import handshake, repository, signing, urls
from services.signals.webhooks.repository import Keyset

NOT_NULL = ("url", "types", "status")


def _not_found() -> Problem:
    return Problem(404, "No subscription with this id is visible to this key.")


def _checked_url(url: str) -> str:
    try:
        urls.check_url(url)
    except urls.BlockedUrl as blocked:
        raise bad_request([InvalidParam("/url", blocked.reason)], "The webhook URL is not allowed.") from None
    return url


def _read(subscription: Subscription) -> SubscriptionRead:
    return SubscriptionRead.model_validate(subscription, from_attributes=True)


def _with_secret(subscription: Subscription, secret: str) -> SubscriptionSecretRead:
    return SubscriptionSecretRead(**_read(subscription).model_dump(), secret=secret)


def own(session: Session, caller: Caller, subscription_id: str) -> Subscription:
    """The caller's own subscription; any other id (unknown, malformed, another partner's) is a 404."""
    try:
        key = uuid.UUID(subscription_id)
    except ValueError:
        raise _not_found() from None  # a malformed id names nothing the caller may see
    subscription = repository.get_own(session, caller.partner_id, key)
    if subscription is None:
        raise _not_found()
    return subscription


def create(session: Session, caller: Caller, body: SubscriptionCreate, origin: str) -> SubscriptionSecretRead:
    url = _checked_url(body.url)
    if body.handshake:
        refused = handshake.refusal(url, origin)
        if refused is not None:
            raise bad_request([InvalidParam("/url", refused)], "The webhook target did not consent.")
    now = utcnow()
    subscription = Subscription(
        id=uuid.uuid4(),
        partner_id=caller.partner_id,
        url=url,
        types=list(dict.fromkeys(body.types)),
        description=body.description,
        status="active",
        disabled_reason=None,
        failing_since=None,
        auth_token=encrypt(body.auth_token) if body.auth_token is not None else None,
        created_at=now,
        updated_at=now,
    )
    secret = signing.set_new_secret(subscription, now, rotating=False)
    session.add(subscription)
    session.flush()
    return _with_secret(subscription, secret)


def list_subscriptions(
    session: Session, caller: Caller, after: Keyset | None, limit: int
) -> tuple[list[SubscriptionRead], Keyset | None]:
    rows = repository.list_own(session, caller.partner_id, after, limit)
    following = (rows[limit - 1].created_at, rows[limit - 1].id) if len(rows) > limit else None
    return [_read(row) for row in rows[:limit]], following


def get(session: Session, caller: Caller, subscription_id: str) -> SubscriptionRead:
    return _read(own(session, caller, subscription_id))


def update(
    session: Session, caller: Caller, subscription_id: str, change: SubscriptionUpdate
) -> SubscriptionRead | SubscriptionSecretRead:
    subscription = own(session, caller, subscription_id)
    sent = change.model_fields_set
    nulls = [
        InvalidParam(f"/{name}", "May not be null.")
        for name in NOT_NULL
        if name in sent and getattr(change, name) is None
    ]
    if nulls:
        raise bad_request(nulls)
    now = utcnow()
    if change.url is not None:
        subscription.url = _checked_url(change.url)
    if change.types is not None:
        subscription.types = list(dict.fromkeys(change.types))
    if "description" in sent:
        subscription.description = change.description
    if "auth_token" in sent:
        subscription.auth_token = encrypt(change.auth_token) if change.auth_token is not None else None
    if change.status == "active":
        # Re-enabling clears why it was disabled; the dispatcher starts over with the next event.
        subscription.status, subscription.disabled_reason, subscription.failing_since = "active", None, None
    elif change.status == "disabled" and subscription.status != "disabled":
        subscription.status, subscription.disabled_reason = "disabled", None  # paused by the partner itself
    subscription.updated_at = now
    secret = signing.set_new_secret(subscription, now, rotating=True) if change.rotate_secret else None
    session.flush()
    return _read(subscription) if secret is None else _with_secret(subscription, secret)


def rotate_secret(session: Session, caller: Caller, subscription_id: str) -> SubscriptionSecretRead:
    subscription = own(session, caller, subscription_id)
    now = utcnow()
    secret = signing.set_new_secret(subscription, now, rotating=True)
    subscription.updated_at = now
    session.flush()
    return _with_secret(subscription, secret)


def delete(session: Session, caller: Caller, subscription_id: str) -> None:
    repository.remove(session, own(session, caller, subscription_id))
