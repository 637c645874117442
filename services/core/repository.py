# SPDX-License-Identifier: EUPL-1.2
"""SQL for partners and API keys: used by authentication and by the command line."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, bindparam, select, update
from sqlalchemy.orm import Session, selectinload

from services.core.models import ApiKey, Partner, PartnerBrin, PartnerRole


@dataclass(frozen=True)
class PartnerProfile:
    """What a request needs to know of a partner, loaded once and cached."""

    id: uuid.UUID
    name: str
    oin: str | None
    kvk: str | None
    roles: frozenset[str]
    brins: dict[str, str] = field(default_factory=dict)
    created_at: datetime | None = None


def find_key_by_hash(session: Session, key_hash: str) -> ApiKey | None:
    return session.scalars(select(ApiKey).where(ApiKey.key_hash == key_hash)).one_or_none()


_API_KEYS = cast(Table, ApiKey.__table__)
# What authentication needs of a key, as a plain Core query: no ORM object to build and track on every request.
# Also sent in a pipeline, beside a request's first look-up (services/intake/repository_pipeline.py).
KEY_FOR_AUTH = select(
    _API_KEYS.c.id,
    _API_KEYS.c.partner_id,
    _API_KEYS.c.scopes,
    _API_KEYS.c.expires_at,
    _API_KEYS.c.revoked_at,
    _API_KEYS.c.last_used_at,
).where(_API_KEYS.c.key_hash == bindparam("key_hash"))


@dataclass(frozen=True)
class AuthKey:
    """A key as authentication sees it: KEY_FOR_AUTH's row."""

    id: uuid.UUID
    partner_id: uuid.UUID
    scopes: list[str]
    expires_at: datetime | None
    revoked_at: datetime | None
    last_used_at: datetime | None


def auth_key_of(row: Sequence[Any] | None) -> AuthKey | None:
    return None if row is None else AuthKey(*row)


def find_key_for_auth(session: Session, key_hash: str) -> AuthKey | None:
    """The key with this hash, read in the session's transaction (so a revocation counts at once)."""
    return auth_key_of(session.connection().execute(KEY_FOR_AUTH, {"key_hash": key_hash}).one_or_none())


def touch_key(session: Session, key_id: uuid.UUID, now: datetime) -> None:
    session.execute(update(ApiKey).where(ApiKey.id == key_id).values(last_used_at=now))


def load_partner_profile(session: Session, partner_id: uuid.UUID) -> PartnerProfile | None:
    partner = session.scalars(
        select(Partner)
        .where(Partner.id == partner_id)
        .options(selectinload(Partner.roles), selectinload(Partner.brins))
    ).one_or_none()
    if partner is None:
        return None
    return PartnerProfile(
        id=partner.id,
        name=partner.name,
        oin=partner.oin,
        kvk=partner.kvk,
        roles=frozenset(r.role for r in partner.roles),
        brins={b.brin: b.holiday_region for b in partner.brins},
        created_at=partner.created_at,
    )


def list_partners(session: Session) -> list[Partner]:
    return list(
        session.scalars(
            select(Partner)
            .options(selectinload(Partner.roles), selectinload(Partner.brins))
            .order_by(Partner.created_at, Partner.id)
        )
    )


def add_partner(
    session: Session,
    *,
    name: str,
    roles: list[str],
    oin: str | None,
    kvk: str | None,
    brins: dict[str, str],
    now: datetime,
) -> Partner:
    partner = Partner(id=uuid.uuid4(), name=name, oin=oin, kvk=kvk, created_at=now)
    partner.roles = [PartnerRole(role=r) for r in roles]
    partner.brins = [PartnerBrin(brin=b, holiday_region=region) for b, region in brins.items()]
    session.add(partner)
    session.flush()
    return partner


def partner_exists(session: Session, partner_id: uuid.UUID) -> bool:
    return session.get(Partner, partner_id) is not None


def partners_holding_role(session: Session, role: str) -> list[uuid.UUID]:
    """Partners with a role, first registered first (the routing order of the interface)."""
    return list(
        session.scalars(
            select(Partner.id)
            .join(PartnerRole, PartnerRole.partner_id == Partner.id)
            .where(PartnerRole.role == role)
            .order_by(Partner.created_at, Partner.id)
        )
    )


def brin_owner(session: Session, brin: str) -> PartnerBrin | None:
    return session.get(PartnerBrin, brin)


def add_key(
    session: Session,
    *,
    partner_id: uuid.UUID,
    key_hash: str,
    scopes: list[str],
    now: datetime,
    expires_at: datetime | None,
) -> ApiKey:
    key = ApiKey(
        id=uuid.uuid4(),
        partner_id=partner_id,
        key_hash=key_hash,
        scopes=scopes,
        created_at=now,
        expires_at=expires_at,
    )
    session.add(key)
    session.flush()
    return key


def revoke_key(session: Session, key_id: uuid.UUID, now: datetime) -> bool:
    result = session.execute(
        update(ApiKey).where(ApiKey.id == key_id, ApiKey.revoked_at.is_(None)).values(revoked_at=now)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def get_key(session: Session, key_id: uuid.UUID) -> ApiKey | None:
    return session.get(ApiKey, key_id)


def set_key_expiry(session: Session, key_id: uuid.UUID, expires_at: datetime) -> None:
    session.execute(update(ApiKey).where(ApiKey.id == key_id).values(expires_at=expires_at))


def list_keys(session: Session, partner_id: uuid.UUID | None) -> list[ApiKey]:
    query = select(ApiKey).order_by(ApiKey.partner_id, ApiKey.created_at, ApiKey.id)
    if partner_id is not None:
        query = query.where(ApiKey.partner_id == partner_id)
    return list(session.scalars(query))


def partner_with_number(session: Session, field_name: str, value: str) -> Partner | None:
    column = Partner.oin if field_name == "oin" else Partner.kvk
    return session.scalars(select(Partner).where(column == value)).one_or_none()
