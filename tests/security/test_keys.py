# SPDX-License-Identifier: EUPL-1.2
"""Key life cycle on the command line: rotation without downtime, expiry, revocation at once, last use, and a
listing that never shows a key."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import text
from typer.testing import CliRunner, Result

from services.cli.main import app
from services.core.db import get_engine
from tests.factories import make_partner

runner = CliRunner()
PATH = "/signals/v1/subscriptions"


def cli(*args: str) -> Result:
    return runner.invoke(app, list(args))


def _bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def _listed(key_id: str) -> dict[str, object]:
    result = cli("keys", "list", "--json")
    assert result.exit_code == 0, result.output
    found: dict[str, object] = next(k for k in json.loads(result.stdout) if k["id"] == key_id)
    return found


def test_rotation_keeps_both_keys_working_through_the_grace_period(client: TestClient) -> None:
    partner = make_partner(["youth-coach"], scopes=["subscriptions:manage", "signals:read"])

    result = cli("keys", "rotate", partner.key_id, "--grace", "2h", "--json")

    assert result.exit_code == 0, result.output
    rotated = json.loads(result.stdout)
    assert rotated["replaces"] == partner.key_id and rotated["key"].startswith("glk_")
    assert client.get(PATH, headers=partner.headers).status_code == 200
    assert client.get(PATH, headers=_bearer(rotated["key"])).status_code == 200
    new, old = _listed(rotated["id"]), _listed(partner.key_id)
    assert new["partnerId"] == partner.id and new["scopes"] == ["signals:read", "subscriptions:manage"]
    assert new["state"] == "active" and new["expiresAt"] is None
    expires = datetime.fromisoformat(str(old["expiresAt"]))
    assert timedelta(minutes=119) < expires - datetime.now(UTC) <= timedelta(hours=2)


def test_after_the_grace_period_only_the_new_key_works(client: TestClient) -> None:
    partner = make_partner(["youth-coach"])
    rotated = json.loads(cli("keys", "rotate", partner.key_id, "--grace", "1h", "--json").stdout)
    with get_engine().begin() as connection:
        # The grace period has passed.
        connection.execute(
            text("UPDATE api_keys SET expires_at = now() - interval '1 second' WHERE id = :id"), {"id": partner.key_id}
        )

    old = client.get(PATH, headers=partner.headers)

    assert old.status_code == 401 and old.headers["www-authenticate"] == "Bearer"
    assert client.get(PATH, headers=_bearer(rotated["key"])).status_code == 200
    assert _listed(partner.key_id)["state"] == "expired"
    again = cli("keys", "rotate", partner.key_id)
    assert again.exit_code == 2 and "no active key" in again.stderr


def test_rotation_never_lengthens_an_expiring_key() -> None:
    partner = make_partner(["youth-coach"])
    created = json.loads(
        cli(
            "keys", "create", "--partner", partner.id, "--scopes", "signals:read", "--expires-in", "1h", "--json"
        ).stdout
    )
    before = _listed(created["id"])["expiresAt"]

    assert cli("keys", "rotate", created["id"], "--grace", "7d", "--expires-in", "30d").exit_code == 0

    assert _listed(created["id"])["expiresAt"] == before


def test_revocation_counts_from_the_next_request(client: TestClient) -> None:
    partner = make_partner(["youth-coach"])
    assert client.get(PATH, headers=partner.headers).status_code == 200

    assert cli("keys", "revoke", partner.key_id).exit_code == 0

    assert client.get(PATH, headers=partner.headers).status_code == 401
    assert _listed(partner.key_id)["state"] == "revoked"


def test_the_listing_shows_last_use_and_never_a_key(client: TestClient) -> None:
    partner = make_partner(["youth-coach"])
    assert _listed(partner.key_id)["lastUsedAt"] is None

    client.get(PATH, headers=partner.headers)

    listing = cli("keys", "list", "--partner", partner.id)
    assert listing.exit_code == 0 and partner.key_id in listing.stdout and "lastUsed=20" in listing.stdout
    as_json = cli("keys", "list", "--json").stdout
    assert partner.key not in as_json and partner.key not in listing.stdout
    assert str(_listed(partner.key_id)["lastUsedAt"]).endswith("Z")


def test_bad_durations_are_refused() -> None:
    partner = make_partner(["youth-coach"])
    result = cli("keys", "rotate", partner.key_id, "--grace", "soon")
    assert result.exit_code == 2 and "--grace takes a number with d or h" in result.stderr
