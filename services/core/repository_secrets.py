# SPDX-License-Identifier: EUPL-1.2
"""The SQL behind rotating the encryption and pseudonym keys: every stored ciphertext and pseudonym, in chunks
by id so that a large table is never held at once and an interrupted run can simply be run again."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import Row, select, update
from sqlalchemy.orm import Session

from services.core.models import Subscription, Youth


def youths_with_identifier(
    session: Session, after: uuid.UUID | None, limit: int
) -> Sequence[Row[uuid.UUID, str, bytes]]:
    """id, identifier kind and ciphertext of the next `limit` youths whose identifier is kept (not erased)."""
    query = (
        select(Youth.id, Youth.identifier_kind, Youth.identifier_ciphertext)
        .where(Youth.identifier_ciphertext.is_not(None))
        .order_by(Youth.id)
        .limit(limit)
    )
    if after is not None:
        query = query.where(Youth.id > after)
    return session.execute(query).all()  # type: ignore[return-value]  # the column is not null here


def set_youth_ciphertext(session: Session, youth_id: uuid.UUID, ciphertext: bytes) -> None:
    session.execute(update(Youth).where(Youth.id == youth_id).values(identifier_ciphertext=ciphertext))


def set_youth_pseudonym(session: Session, youth_id: uuid.UUID, pseudonym: bytes) -> None:
    session.execute(update(Youth).where(Youth.id == youth_id).values(pseudonym=pseudonym))


def subscription_secrets(session: Session) -> Sequence[Row[uuid.UUID, bytes, bytes | None, bytes | None]]:
    """Every subscription's encrypted signing secrets and auth token (there are tens, not thousands)."""
    return session.execute(
        select(Subscription.id, Subscription.secret, Subscription.previous_secret, Subscription.auth_token)
    ).all()


def set_subscription_secrets(
    session: Session, subscription_id: uuid.UUID, secret: bytes, previous: bytes | None, token: bytes | None
) -> None:
    session.execute(
        update(Subscription)
        .where(Subscription.id == subscription_id)
        .values(secret=secret, previous_secret=previous, auth_token=token)
    )
