# SPDX-License-Identifier: EUPL-1.2
"""The one `Settings` object. Every name and default follows spec/interface.md, "Running it"."""

from __future__ import annotations

import logging
import os
import uuid
from datetime import date
from functools import lru_cache
from ipaddress import IPv4Network, IPv6Network
from typing import Annotated, Literal

from cryptography.fernet import Fernet
from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

log = logging.getLogger(__name__)

# Development keys: fixed so that a demo database stays readable between runs. They are public
# (they are in this file), so production refuses to start with them.
DEVELOPMENT_PSEUDONYM_KEY = "development-pseudonym-key-not-for-production"
DEVELOPMENT_ENCRYPTION_KEY = "ZGV2ZWxvcG1lbnQtZW5jcnlwdGlvbi1rZXktMzJiISE="


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="GLANSRIJK_", env_file=".env", extra="ignore")

    database_url: str = "sqlite:///./glansrijk.db"
    redis_url: str | None = None
    environment: Literal["development", "production"] = "development"
    pseudonym_key: SecretStr = SecretStr(DEVELOPMENT_PSEUDONYM_KEY)
    # One or more Fernet keys, comma-separated, newest first: older keys still decrypt during a rotation.
    encryption_key: SecretStr = SecretStr(DEVELOPMENT_ENCRYPTION_KEY)
    oin: str = Field(default="00000000000000000000", pattern=r"^\d{20}$")
    today: date | None = None
    go_live_date: date | None = None
    education_data_complete: bool = False
    holiday_region: Literal["noord", "midden", "zuid"] = "midden"
    signal_lookback_days: int = Field(default=28, ge=0)
    risk_threshold: int = Field(default=4, ge=1)
    out_of_view_days: int = Field(default=90, ge=1)
    long_absence_share: float = Field(default=0.9, gt=0, le=1)
    disclosure_k: int = Field(default=10, ge=1)
    rounding_base: int = Field(default=5, ge=1)
    # Targets of the reporting indicators, a JSON object of indicator code to number (the programme's goals).
    reporting_targets: dict[str, float] = Field(default_factory=dict)
    retention_years: int = Field(default=5, ge=1)
    secret_rotation_hours: int = Field(default=24, ge=0)
    allow_http_webhooks: bool = False
    # The absolute base of `dataref` URLs in delivered CloudEvents (where partners reach the signals API).
    public_base_url: str = "http://127.0.0.1:8000"
    webhook_allowed_networks: Annotated[list[IPv4Network | IPv6Network], NoDecode] = Field(default_factory=list)
    # Requests per API key per minute, counted in Redis (services/core/ratelimit.py); 0 turns the limiter off.
    # Without Redis (the embedded default) there is no limiter.
    rate_limit_per_minute: int = Field(default=6000, ge=0)
    # Optional OAuth2 resource-server mode (services/core/oauth.py, ADR 0030): on when the JWKS URL is set.
    oauth_jwks_url: str | None = None
    oauth_issuer: str | None = None
    oauth_audience: str | None = None
    # The authorization server's client ids, each mapped to the partner it acts for (a JSON object).
    oauth_clients: dict[str, uuid.UUID] = Field(default_factory=dict)

    # The beat's schedule: the outbox sweep (a stopped broker only delays evaluation) and the daily scan.
    outbox_sweep_seconds: float = Field(default=30.0, gt=0)
    daily_scan_hour: int = Field(default=6, ge=0, le=23)

    # Requests of one API process that may use the database at once; the others wait their turn, at most
    # `database_wait_seconds`, then get 503 with Retry-After (services/core/dependencies.py, ADR 0032).
    api_database_sessions: int = Field(default=8, ge=1)
    database_wait_seconds: float = Field(default=5.0, gt=0)

    # Operational limits of the intake contract (interface.md, "Intake").
    max_batch_events: int = 1000
    max_body_bytes: int = 5 * 1024 * 1024
    max_event_bytes: int = 64 * 1024

    @field_validator("webhook_allowed_networks", mode="before")
    @classmethod
    def _split_networks(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("pseudonym_key")
    @classmethod
    def _pseudonym_key_is_strong(cls, value: SecretStr) -> SecretStr:
        if len(value.get_secret_value()) < 32:
            raise ValueError("GLANSRIJK_PSEUDONYM_KEY must be at least 32 characters of secret random data")
        return value

    @field_validator("encryption_key")
    @classmethod
    def _encryption_keys_are_fernet_keys(cls, value: SecretStr) -> SecretStr:
        keys = [k.strip() for k in value.get_secret_value().split(",") if k.strip()]
        if not keys:
            raise ValueError("GLANSRIJK_ENCRYPTION_KEY is empty")
        for key in keys:
            try:
                Fernet(key.encode("ascii"))
            except (ValueError, UnicodeEncodeError):
                raise ValueError(
                    "GLANSRIJK_ENCRYPTION_KEY must be Fernet keys (url-safe base64 of 32 bytes), comma-separated"
                ) from None
        return value

    @property
    def embedded(self) -> bool:
        """True when tasks run in-process (no Redis configured)."""
        return not self.redis_url

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def uses_development_keys(self) -> bool:
        return (
            self.pseudonym_key.get_secret_value() == DEVELOPMENT_PSEUDONYM_KEY
            or DEVELOPMENT_ENCRYPTION_KEY in self.encryption_key.get_secret_value().split(",")
        )

    @model_validator(mode="after")
    def _oauth_is_complete(self) -> Settings:
        if self.oauth_jwks_url and not (self.oauth_issuer and self.oauth_audience):
            raise ValueError("GLANSRIJK_OAUTH_JWKS_URL needs GLANSRIJK_OAUTH_ISSUER and GLANSRIJK_OAUTH_AUDIENCE")
        return self

    @model_validator(mode="after")
    def _production_is_strict(self) -> Settings:
        if self.environment == "production":
            problems = []
            if self.uses_development_keys:
                problems.append("GLANSRIJK_PSEUDONYM_KEY and GLANSRIJK_ENCRYPTION_KEY must be set")
            if self.allow_http_webhooks:
                problems.append("GLANSRIJK_ALLOW_HTTP_WEBHOOKS must be false")
            if self.today is not None:
                problems.append("GLANSRIJK_TODAY must be unset")
            if problems:
                raise ValueError("production refuses to start: " + "; ".join(problems))
        return self


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    # Secrets may come from files instead of the environment (Docker and Kubernetes secrets): a file named after
    # the variable in lower case (`glansrijk_pseudonym_key`) in GLANSRIJK_SECRETS_DIR. The environment wins.
    secrets_dir = os.environ.get("GLANSRIJK_SECRETS_DIR") or None
    settings = Settings(_secrets_dir=secrets_dir)
    if settings.uses_development_keys:
        log.warning(
            "USING DEVELOPMENT KEYS for pseudonyms and encryption: fine for a demo, "
            "never for real data (set GLANSRIJK_PSEUDONYM_KEY and GLANSRIJK_ENCRYPTION_KEY)"
        )
    return settings


def reset_settings() -> None:
    """Forget the cached settings (tests and the CLI change the environment)."""
    get_settings.cache_clear()
