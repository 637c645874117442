# SPDX-License-Identifier: EUPL-1.2
"""What the command line does, apart from parsing arguments (tests and the demo call it directly)."""

from __future__ import annotations

import re
import uuid
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config

from services.core import repository
from services.core.auth import hash_key, new_plain_key, partner_cache
from services.core.clock import as_utc, utcnow
from services.core.db import transaction
from services.core.dispatch import wait_for_tasks as wait_for_dispatched_tasks
from services.core.scopes import Role, Scope
from services.core.settings import get_settings

ROOT = Path(__file__).resolve().parents[2]
BRIN = re.compile(r"^[0-9]{2}[A-Z0-9]{2}$")
REGIONS = ("noord", "midden", "zuid")


def now() -> datetime:
    return utcnow()


def alembic_config() -> Config:
    config = Config(str(ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(ROOT / "migrations"))
    config.set_main_option("sqlalchemy.url", get_settings().database_url.replace("%", "%%"))
    config.attributes["configure_logger"] = False
    return config


def migrate() -> None:
    command.upgrade(alembic_config(), "head")


def add_partner(*, name: str, roles: list[str], oin: str | None, kvk: str | None, brins: list[str]) -> uuid.UUID:
    if not name.strip():
        raise ValueError("--name is required")
    unknown = sorted(set(roles) - {r.value for r in Role})
    if not roles or unknown:
        raise ValueError(f"--roles takes one or more of {', '.join(r.value for r in Role)}")
    if oin is not None and not re.fullmatch(r"\d{20}", oin):
        raise ValueError("--oin must be 20 digits")
    if kvk is not None and not re.fullmatch(r"\d{8}", kvk):
        raise ValueError("--kvk must be 8 digits")
    region_of: dict[str, str] = {}
    for item in brins:
        code, _, region = item.partition(":")
        code = code.upper()
        region = region or get_settings().holiday_region
        if not BRIN.match(code) or region not in REGIONS:
            raise ValueError(f"--brin {item!r}: a BRIN is 4 characters (e.g. 12AB), a region one of {REGIONS}")
        region_of[code] = region
    if region_of and Role.SCHOOL.value not in roles:
        raise ValueError("--brin is for partners with the school role")
    with transaction() as session:
        if Role.MUNICIPALITY.value in roles and repository.partners_holding_role(session, Role.MUNICIPALITY.value):
            raise ValueError("exactly one partner holds the municipality role (the ketenregisseur)")
        for code in region_of:
            if repository.brin_owner(session, code) is not None:
                raise ValueError(f"BRIN {code} already belongs to a partner")
        for field, value in (("oin", oin), ("kvk", kvk)):
            if value is not None and repository.partner_with_number(session, field, value) is not None:
                raise ValueError(f"a partner with this {field} exists already")
        partner = repository.add_partner(
            session, name=name.strip(), roles=sorted(set(roles)), oin=oin, kvk=kvk, brins=region_of, now=now()
        )
        return partner.id


def list_partners() -> list[dict[str, Any]]:
    with transaction(read_only=True) as session:
        return [
            {
                "id": str(p.id),
                "name": p.name,
                "oin": p.oin,
                "kvk": p.kvk,
                "roles": [r.role for r in p.roles],
                "brins": [b.brin for b in p.brins],
                "createdAt": p.created_at.isoformat(),
            }
            for p in repository.list_partners(session)
        ]


def create_key(partner_id: uuid.UUID, scopes: list[str], expires_at: datetime | None) -> tuple[uuid.UUID, str]:
    unknown = sorted(set(scopes) - {s.value for s in Scope})
    if not scopes or unknown:
        raise ValueError(f"--scopes takes one or more of {', '.join(s.value for s in Scope)}")
    plain = new_plain_key()
    with transaction() as session:
        profile = repository.load_partner_profile(session, partner_id)
        if profile is None:
            raise ValueError(f"no partner with id {partner_id}")
        if Scope.CHAIN_MANAGE.value in scopes and Role.MUNICIPALITY.value not in profile.roles:
            raise ValueError("only keys of the municipality partner may hold chain:manage")
        key = repository.add_key(
            session,
            partner_id=partner_id,
            key_hash=hash_key(plain),
            scopes=sorted(set(scopes)),
            now=now(),
            expires_at=expires_at,
        )
        return key.id, plain


def revoke_key(key_id: uuid.UUID) -> bool:
    with transaction() as session:
        revoked = repository.revoke_key(session, key_id, now())
    partner_cache.clear()
    return revoked


def rotate_key(key_id: uuid.UUID, grace: timedelta, expires_at: datetime | None) -> tuple[uuid.UUID, str]:
    """A new key for the same partner and scopes; the old one keeps working for `grace` (never longer than it
    already would), so that the partner can switch without a moment in which neither key works."""
    moment = now()
    with transaction() as session:
        old = repository.get_key(session, key_id)
        if old is None or old.revoked_at is not None or _expired(old.expires_at, moment):
            raise ValueError(f"no active key {key_id}")
        plain = new_plain_key()
        new = repository.add_key(
            session,
            partner_id=old.partner_id,
            key_hash=hash_key(plain),
            scopes=list(old.scopes),
            now=moment,
            expires_at=expires_at,
        )
        ends = moment + grace
        if old.expires_at is None or as_utc(old.expires_at) > ends:
            repository.set_key_expiry(session, key_id, ends)
        return new.id, plain


def list_keys(partner_id: uuid.UUID | None) -> list[dict[str, Any]]:
    """Every key with its state and last use (to the minute): what an operator needs to see that a rotated key
    is no longer used, or that a key has gone quiet. Never the key or its hash."""
    moment = now()
    with transaction(read_only=True) as session:
        keys = repository.list_keys(session, partner_id)
        return [
            {
                **key.as_dict(),
                "state": _key_state(key.revoked_at, key.expires_at, moment),
                "createdAt": _iso(key.created_at),
                "expiresAt": _iso(key.expires_at),
                "revokedAt": _iso(key.revoked_at),
                "lastUsedAt": _iso(key.last_used_at),
            }
            for key in keys
        ]


def _expired(expires_at: datetime | None, moment: datetime) -> bool:
    return expires_at is not None and as_utc(expires_at) <= moment


def _key_state(revoked_at: datetime | None, expires_at: datetime | None, moment: datetime) -> str:
    if revoked_at is not None:
        return "revoked"
    return "expired" if _expired(expires_at, moment) else "active"


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else as_utc(moment).isoformat().replace("+00:00", "Z")


def rebuild_state() -> int:
    from services.intake.service import rebuild_all

    with transaction() as session:
        return rebuild_all(session)


def wait_for_tasks() -> None:
    wait_for_dispatched_tasks()


def has_municipality() -> bool:
    """Whether a partner holds `municipality`: the ketenregisseur, and every signal's fallback."""
    with transaction(read_only=True) as session:
        return bool(repository.partners_holding_role(session, Role.MUNICIPALITY))
