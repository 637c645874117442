# SPDX-License-Identifier: EUPL-1.2
"""Settings refuse what would silently weaken the pseudonyms or the encryption."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet
from pydantic import ValidationError

from services.core.settings import Settings

STRONG = "x" * 40


@pytest.mark.parametrize("pseudonym_key", ["", "short"])
def test_a_weak_pseudonym_key_is_refused(pseudonym_key: str) -> None:
    with pytest.raises(ValidationError, match="GLANSRIJK_PSEUDONYM_KEY"):
        Settings(pseudonym_key=pseudonym_key)


@pytest.mark.parametrize(
    "encryption_key",
    ["", "not-a-fernet-key", f"{Fernet.generate_key().decode()},broken"],
    ids=["empty", "not-fernet", "one-of-two-broken"],
)
def test_a_malformed_encryption_key_is_refused(encryption_key: str) -> None:
    with pytest.raises(ValidationError, match="GLANSRIJK_ENCRYPTION_KEY"):
        Settings(encryption_key=encryption_key)


def test_production_refuses_the_development_keys_and_development_settings() -> None:
    with pytest.raises(ValidationError, match="production refuses to start"):
        Settings(environment="production")
    keys = {"pseudonym_key": STRONG, "encryption_key": Fernet.generate_key().decode()}
    with pytest.raises(ValidationError, match="GLANSRIJK_ALLOW_HTTP_WEBHOOKS"):
        Settings(environment="production", allow_http_webhooks=True, **keys)
    production = Settings(environment="production", **keys)
    assert not production.uses_development_keys


def test_rotated_encryption_keys_are_accepted_newest_first() -> None:
    keys = f"{Fernet.generate_key().decode()},{Fernet.generate_key().decode()}"
    assert Settings(encryption_key=keys).encryption_key.get_secret_value() == keys
