# SPDX-License-Identifier: EUPL-1.2
"""Signing secrets of subscriptions (interface.md, "Webhooks"; Standard Webhooks).

A secret is `whsec_` + base64 of 32 random bytes, the format `standardwebhooks.Webhook` accepts. During a
rotation's grace period the previous secret still signs, so a subscriber can switch over without losing events.
"""

from __future__ import annotations

import base64
import secrets
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Protocol

from services.core.clock import as_utc, utcnow
from services.core.identity import decrypt, encrypt
from services.core.models import Subscription
from services.core.settings import get_settings

SECRET_PREFIX = "whsec_"  # noqa: S105 (the format prefix, not a secret)
SECRET_BYTES = 32


def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode("ascii")


def set_new_secret(subscription: Subscription, now: datetime, *, rotating: bool) -> str:
    """Give `subscription` a fresh secret (returned in clear, once); when `rotating`, the current one stays
    valid for GLANSRIJK_SECRET_ROTATION_HOURS. A rotation within a grace period ends the older grace early."""
    secret = new_secret()
    hours = get_settings().secret_rotation_hours
    if rotating and hours > 0:
        subscription.previous_secret = subscription.secret
        subscription.previous_secret_expires_at = now + timedelta(hours=hours)
    else:
        subscription.previous_secret = None
        subscription.previous_secret_expires_at = None
    subscription.secret = encrypt(secret)
    return secret


class Secrets(Protocol):
    """What signs: a subscription, or the dispatcher's copy of one (`Claimed`)."""

    @property
    def secret(self) -> bytes: ...
    @property
    def previous_secret(self) -> bytes | None: ...
    @property
    def previous_secret_expires_at(self) -> datetime | None: ...


@lru_cache(maxsize=4096)
def plain(token: bytes) -> str:
    """A stored secret in clear. Cached: the dispatcher signs every delivery of a subscription with the same
    secret, and a token (ciphertext) always decrypts to the same value."""
    return decrypt(token)


def signing_secrets(subscription: Secrets, now: datetime | None = None) -> list[str]:
    """The secrets that sign a delivery now: the current one first, then the previous one within its grace."""
    valid = [plain(subscription.secret)]
    expires = subscription.previous_secret_expires_at
    if subscription.previous_secret is not None and expires is not None and (now or utcnow()) < as_utc(expires):
        valid.append(plain(subscription.previous_secret))
    return valid
