# SPDX-License-Identifier: EUPL-1.2
"""Who is calling: API keys (Bearer, or Basic for BI tools), their partner and scopes, checked in one place."""

from __future__ import annotations

import base64
import binascii
import hashlib
import secrets
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import timedelta

from fastapi import Request
from sqlalchemy.orm import Session

from services.core import oauth, repository
from services.core.clock import as_utc, utcnow
from services.core.problems import Problem
from services.core.ratelimit import check_rate
from services.core.repository import PartnerProfile
from services.core.scopes import Role, Scope
from services.core.settings import Settings, get_settings

KEY_PREFIX = "glk_"
# last_used_at is a hint for operators, not an audit trail: writing it at most once a minute per key keeps
# a hot path (single-event intake) free of an extra UPDATE on almost every request.
LAST_USED_RESOLUTION = timedelta(minutes=1)
PARTNER_CACHE_SECONDS = 30.0


def new_plain_key() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(32)


def hash_key(plain: str) -> str:
    return hashlib.sha256(plain.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Caller:
    key_id: uuid.UUID
    scopes: frozenset[str]
    partner: PartnerProfile

    @property
    def partner_id(self) -> uuid.UUID:
        return self.partner.id

    def has(self, scope: Scope) -> bool:
        return scope.value in self.scopes


class _PartnerCache:
    """Partners change only through the CLI; a short cache spares every request two queries."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._items: dict[uuid.UUID, tuple[float, PartnerProfile]] = {}

    def get(self, session: Session, partner_id: uuid.UUID) -> PartnerProfile | None:
        now = time.monotonic()
        with self._lock:
            hit = self._items.get(partner_id)
        if hit is not None and now - hit[0] < PARTNER_CACHE_SECONDS:
            return hit[1]
        profile = repository.load_partner_profile(session, partner_id)
        if profile is not None:
            with self._lock:
                self._items[partner_id] = (now, profile)
        return profile

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


partner_cache = _PartnerCache()


def _unauthorized(detail: str) -> Problem:
    return Problem(401, detail, headers={"WWW-Authenticate": "Bearer"})


@dataclass(frozen=True)
class Credentials:
    """What the request presents: a plain key (or an OAuth2 token) and, for Basic, the key id it must belong to."""

    plain: str
    claimed_id: uuid.UUID | None

    @property
    def key_hash(self) -> str:
        return hash_key(self.plain)

    def is_token(self, settings: Settings) -> bool:
        """An OAuth2 access token (resource server mode), not one of our keys."""
        return bool(settings.oauth_jwks_url) and self.claimed_id is None and oauth.looks_like_jwt(self.plain)


def credentials(request: Request, *, basic: bool = False) -> Credentials:
    """The request's credentials; 401 when there are none or they are malformed. HTTP Basic only where `basic`:
    the spec gives it to the OData feed, for BI tools that cannot send a bearer token. Elsewhere a browser that
    remembers Basic credentials for the feed would send them along with any request a web page makes (the
    write endpoints included): a cross-site request forgery that a bearer token does not allow."""
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    value = value.strip()
    if scheme.lower() == "bearer" and value:
        return Credentials(value, None)
    if scheme.lower() == "basic" and value:
        if not basic:
            raise _unauthorized("HTTP Basic is for the OData feed only: Authorization: Bearer <key>.")
        try:
            user, _, password = base64.b64decode(value, validate=True).decode("utf-8").partition(":")
            return Credentials(password, uuid.UUID(user))
        except (binascii.Error, UnicodeDecodeError, ValueError):
            raise _unauthorized("Malformed Basic credentials.") from None
    raise _unauthorized("An API key is required: Authorization: Bearer <key>.")


def authenticate(request: Request, session: Session, *, touch: bool = True, basic: bool = False) -> Caller:
    """The caller of `request`; `touch=False` for a read-only session (reporting), which may not write
    `last_used_at`; `basic=True` where HTTP Basic is accepted (the OData feed)."""
    presented = credentials(request, basic=basic)
    settings = get_settings()
    if presented.is_token(settings):
        return _token_caller(presented.plain, session, settings)
    return caller_of_key(session, presented, repository.find_key_for_auth(session, presented.key_hash), touch=touch)


def caller_of_key(
    session: Session, presented: Credentials, key: repository.AuthKey | None, *, touch: bool = True
) -> Caller:
    """The caller holding `key`, the key found by `presented.key_hash` in this session (read by `authenticate`
    in its transaction, or beside the intake's first look-up, ADR 0038); 401 when it is unknown, revoked or
    expired."""
    now = utcnow()
    if (
        key is None
        or key.revoked_at is not None
        or (key.expires_at is not None and key.expires_at <= now)
        or (presented.claimed_id is not None and presented.claimed_id != key.id)
    ):
        raise _unauthorized("The API key is unknown, revoked or expired.")
    # Counted for known keys only: an unknown key cannot use up another key's budget.
    check_rate(key.id)
    partner = partner_cache.get(session, key.partner_id)
    if partner is None:
        raise _unauthorized("The API key's partner no longer exists.")
    last_used = key.last_used_at
    if touch and (last_used is None or as_utc(last_used) < now - LAST_USED_RESOLUTION):
        repository.touch_key(session, key.id, now)
    return Caller(key_id=key.id, scopes=frozenset(key.scopes), partner=partner)


def _token_caller(token: str, session: Session, settings: Settings) -> Caller:
    """A caller from an OAuth2 access token (services/core/oauth.py): the same scopes, partner scoping and rate
    limit as a key of that partner."""
    try:
        caller_id, partner_id, scopes = oauth.verify(token, settings)
    except oauth.InvalidToken as exc:
        raise Problem(401, str(exc), headers={"WWW-Authenticate": 'Bearer error="invalid_token"'}) from None
    check_rate(caller_id)
    partner = partner_cache.get(session, partner_id)
    if partner is None:
        raise _unauthorized("The token's partner does not exist.")
    allowed = {s.value for s in Scope}
    if Role.MUNICIPALITY.value not in partner.roles:
        allowed.discard(Scope.CHAIN_MANAGE.value)
    return Caller(key_id=caller_id, scopes=frozenset(scopes & allowed), partner=partner)


def require_scope(caller: Caller, scope: Scope) -> None:
    if not caller.has(scope):
        raise Problem(403, f"This key lacks the scope {scope.value}.")
