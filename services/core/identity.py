# SPDX-License-Identifier: EUPL-1.2
"""BSN / onderwijsnummer handling: the elfproef, the keyed pseudonym and the encrypted copy.

The identifier never reaches the event store: `pseudonymise` gives the lookup key of the youth's random id,
`encrypt` the only stored copy, read back by the audited identity lookup alone.
"""

from __future__ import annotations

import hashlib
import hmac
from functools import lru_cache
from operator import mul
from typing import Literal

from cryptography.fernet import Fernet, MultiFernet

from services.core.settings import get_settings

IdentifierKind = Literal["bsn", "onderwijsnummer"]


_WEIGHTS = (9, 8, 7, 6, 5, 4, 3, 2)


def _weighted_sum(digits: str) -> int:
    # map over the digits rather than a generator expression: run for every event at the door, twice as fast.
    return sum(map(mul, map(int, digits[:8]), _WEIGHTS)) - int(digits[8])


def elfproef_check_digit(first_eight: str) -> int | None:
    """The ninth digit that completes `first_eight` to a number passing the elfproef; None when none does."""
    remainder = sum(int(d) * w for d, w in zip(first_eight, _WEIGHTS, strict=True)) % 11
    return remainder if remainder <= 9 else None


def passes_elfproef(value: str) -> bool:
    """The BSN elfproef: 9*d1 + 8*d2 + ... + 2*d8 - d9 is divisible by 11."""
    return len(value) == 9 and value.isascii() and value.isdigit() and _weighted_sum(value) % 11 == 0


def valid_onderwijsnummer(value: str) -> bool:
    """The spec's elfproef, or DUO's own variant (remainder 5) that real onderwijsnummers satisfy (ADR 0004)."""
    return len(value) == 9 and value.isascii() and value.isdigit() and _weighted_sum(value) % 11 in (0, 5)


@lru_cache(maxsize=4)
def _pseudonym_hmac(secret: str) -> hmac.HMAC:
    """HMAC-SHA256 keyed with `secret`, nothing hashed yet: copied per pseudonym, which spares deriving the
    keyed state each time (same digests as hmac.new(key, message, sha256))."""
    return hmac.new(secret.encode("utf-8"), digestmod=hashlib.sha256)


def pseudonymise(kind: IdentifierKind, value: str) -> bytes:
    mac = _pseudonym_hmac(get_settings().pseudonym_key.get_secret_value()).copy()
    mac.update(f"{kind}:{value}".encode("ascii"))
    return mac.digest()


@lru_cache(maxsize=4)
def _fernet(keys: str) -> MultiFernet:
    return MultiFernet([Fernet(k.strip().encode("ascii")) for k in keys.split(",") if k.strip()])


def _cipher() -> MultiFernet:
    return _fernet(get_settings().encryption_key.get_secret_value())


def encrypt(value: str) -> bytes:
    return _cipher().encrypt(value.encode("ascii"))


def decrypt(token: bytes) -> str:
    return _cipher().decrypt(token).decode("ascii")


def reencrypt(token: bytes) -> bytes:
    """`token` under the newest encryption key (the first of GLANSRIJK_ENCRYPTION_KEY): key rotation."""
    return _cipher().rotate(token)


def pseudonym_under(secret: str, kind: str, value: str) -> bytes:
    """The pseudonym that the key `secret` gives: for moving every youth to a new pseudonym key."""
    return hmac.new(secret.encode("utf-8"), f"{kind}:{value}".encode("ascii"), hashlib.sha256).digest()
