# SPDX-License-Identifier: EUPL-1.2
"""Rotating the encryption key and the pseudonym key with `glansrijk secrets`, as docs/security.md describes:
afterwards only the new key is configured, and every youth is still found and its identifier still read."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from typer.testing import CliRunner

from services.cli.main import app
from services.core.db import get_engine
from services.core.models import Subscription, Youth
from services.core.settings import DEVELOPMENT_ENCRYPTION_KEY, reset_settings
from tests.factories import event, make_partner, post
from tests.signals.api_support import YouthRef, make_accountable, make_youths

runner = CliRunner()
PURPOSE = {"X-Purpose": "key rotation test"}


def _identity(client: TestClient, partner: object, youth: YouthRef) -> str:
    headers = {**partner.headers, **PURPOSE}  # type: ignore[attr-defined]
    answer = client.get(f"/signals/v1/youths/{youth.key}/identity", headers=headers)
    assert answer.status_code == 200, answer.text
    return str(answer.json()["bsn"])


def _youths() -> int:
    with get_engine().connect() as connection:
        return int(connection.execute(select(func.count()).select_from(Youth)).scalar_one())


def test_encryption_key_rotation(client: TestClient, settings_env: pytest.MonkeyPatch) -> None:
    settings_env.setenv("GLANSRIJK_ALLOW_HTTP_WEBHOOKS", "true")
    reset_settings()
    municipality, leerplicht = make_partner(["municipality"]), make_partner(["leerplicht"])
    youth = make_youths(client, municipality)[0]
    make_accountable(youth, leerplicht)
    body = {"url": "http://127.0.0.1:9/hook", "types": ["nl.glansrijk.*"], "authToken": "t" * 32}
    assert client.post("/signals/v1/subscriptions", json=body, headers=leerplicht.headers).status_code == 201
    new = Fernet.generate_key().decode()

    # Step 1: every process gets "new,old"; step 2: re-encrypt; step 3: only "new".
    settings_env.setenv("GLANSRIJK_ENCRYPTION_KEY", f"{new},{DEVELOPMENT_ENCRYPTION_KEY}")
    reset_settings()
    result = runner.invoke(app, ["secrets", "reencrypt"])
    assert result.exit_code == 0, result.output
    assert "re-encrypted 1 identifiers and 1 subscriptions' secrets" in result.stdout
    settings_env.setenv("GLANSRIJK_ENCRYPTION_KEY", new)
    reset_settings()

    assert _identity(client, leerplicht, youth) == youth.bsn
    with get_engine().connect() as connection:
        secret, token = connection.execute(select(Subscription.secret, Subscription.auth_token)).one()
    assert Fernet(new.encode()).decrypt(secret).startswith(b"whsec_")
    assert Fernet(new.encode()).decrypt(token) == b"t" * 32


def test_pseudonym_key_rotation(client: TestClient, settings_env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    municipality, leerplicht = make_partner(["municipality"]), make_partner(["leerplicht"])
    youths = make_youths(client, municipality, 3)
    make_accountable(youths[0], leerplicht)
    new_key = tmp_path / "pseudonym.key"
    new_key.write_text("n" * 48 + "\n")

    # Intake is stopped here (docs/security.md); then the new key is configured everywhere.
    result = runner.invoke(app, ["secrets", "repseudonymise", "--new-key-file", str(new_key)])
    assert result.exit_code == 0, result.output
    assert "re-pseudonymised 3 youths" in result.stdout
    settings_env.setenv("GLANSRIJK_PSEUDONYM_KEY", "n" * 48)
    reset_settings()

    # The same BSN finds the same youth: no second youth, and the search answers its id.
    data = {"date": "2026-01-31", "reason": "moved-out"}
    again = event(municipality, "person.deregistered", data, person={"bsn": youths[0].bsn})
    assert post(client, municipality, again).status_code == 202
    assert _youths() == 3
    found = client.post(
        "/signals/v1/youths/search", json={"bsn": youths[0].bsn}, headers={**leerplicht.headers, **PURPOSE}
    )
    assert found.status_code == 200 and found.json()["id"] == youths[0].key


def test_a_weak_new_pseudonym_key_is_refused(tmp_path: Path) -> None:
    weak = tmp_path / "weak.key"
    weak.write_text("short")

    result = runner.invoke(app, ["secrets", "repseudonymise", "--new-key-file", str(weak)])

    assert result.exit_code == 2 and "at least 32 characters" in result.stderr
    assert "short" not in result.output
