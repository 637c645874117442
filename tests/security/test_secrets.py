# SPDX-License-Identifier: EUPL-1.2
"""Secrets come from the environment or from files (GLANSRIJK_SECRETS_DIR), and never show in a repr or log."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from services.core.settings import get_settings, reset_settings


def test_secrets_are_read_from_files(settings_env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    pseudonym, encryption = "p" * 40, Fernet.generate_key().decode()
    (tmp_path / "glansrijk_pseudonym_key").write_text(pseudonym + "\n")
    (tmp_path / "glansrijk_encryption_key").write_text(encryption)
    settings_env.delenv("GLANSRIJK_PSEUDONYM_KEY", raising=False)
    settings_env.delenv("GLANSRIJK_ENCRYPTION_KEY", raising=False)
    settings_env.setenv("GLANSRIJK_SECRETS_DIR", str(tmp_path))
    reset_settings()

    settings = get_settings()

    assert settings.pseudonym_key.get_secret_value() == pseudonym
    assert settings.encryption_key.get_secret_value() == encryption
    assert not settings.uses_development_keys


def test_the_environment_wins_over_a_file(settings_env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    (tmp_path / "glansrijk_pseudonym_key").write_text("f" * 40)
    settings_env.setenv("GLANSRIJK_PSEUDONYM_KEY", "e" * 40)
    settings_env.setenv("GLANSRIJK_SECRETS_DIR", str(tmp_path))
    reset_settings()

    assert get_settings().pseudonym_key.get_secret_value() == "e" * 40


def test_secrets_never_show_in_a_repr_or_a_log_line(
    settings_env: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    key = Fernet.generate_key().decode()
    settings_env.setenv("GLANSRIJK_PSEUDONYM_KEY", "s" * 40)
    settings_env.setenv("GLANSRIJK_ENCRYPTION_KEY", key)
    reset_settings()

    with caplog.at_level(logging.DEBUG):
        settings = get_settings()
        logging.getLogger("test").info("settings: %s", settings)

    assert "s" * 40 not in repr(settings) and key not in repr(settings)
    assert "s" * 40 not in caplog.text and key not in caplog.text


def test_production_refuses_the_development_keys(settings_env: pytest.MonkeyPatch) -> None:
    settings_env.setenv("GLANSRIJK_ENVIRONMENT", "production")
    settings_env.delenv("GLANSRIJK_PSEUDONYM_KEY", raising=False)
    settings_env.delenv("GLANSRIJK_TODAY", raising=False)
    reset_settings()

    with pytest.raises(ValueError, match="production refuses to start"):
        get_settings()
