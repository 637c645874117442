# SPDX-License-Identifier: EUPL-1.2
"""OAuth2 resource-server mode: JWT access tokens from an authorization server whose JWKS this test serves on
127.0.0.1. Accepted only signed by its keys, for the configured issuer and audience, unexpired, for a registered
client; scopes from the token, scoped to the client's partner like a key."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi.testclient import TestClient

from services.core import oauth
from services.core.settings import reset_settings
from tests.factories import make_partner

ISSUER = "https://auth.gemeente.example"
AUDIENCE = "https://glansrijk.gemeente.example"
PATH = "/signals/v1/subscriptions"


class AuthorizationServer:
    def __init__(self) -> None:
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self.key.public_key()))
        body = json.dumps({"keys": [{**jwk, "kid": "k1", "use": "sig", "alg": "RS256"}]}).encode()

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *_args: Any) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/jwks.json"

    def token(self, client_id: str, scope: str, **claims: Any) -> str:
        now = int(time.time())
        payload = {"iss": ISSUER, "aud": AUDIENCE, "client_id": client_id, "sub": client_id, "scope": scope}
        payload |= {"iat": now, "exp": now + 300, **claims}
        return jwt.encode(payload, self.key, algorithm="RS256", headers={"kid": "k1"})


@pytest.fixture
def authorization_server(settings_env: pytest.MonkeyPatch) -> Iterator[AuthorizationServer]:
    server = AuthorizationServer()
    thread = threading.Thread(target=server.server.serve_forever, daemon=True)
    thread.start()
    settings_env.setenv("GLANSRIJK_OAUTH_JWKS_URL", server.url)
    settings_env.setenv("GLANSRIJK_OAUTH_ISSUER", ISSUER)
    settings_env.setenv("GLANSRIJK_OAUTH_AUDIENCE", AUDIENCE)
    yield server
    server.server.shutdown()
    server.server.server_close()
    oauth._clients.clear()


def _clients(env: pytest.MonkeyPatch, **mapping: str) -> None:
    env.setenv("GLANSRIJK_OAUTH_CLIENTS", json.dumps(mapping))
    reset_settings()


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", "X-Purpose": "oauth test"}


def test_a_valid_token_acts_for_its_partner(
    client: TestClient, authorization_server: AuthorizationServer, settings_env: pytest.MonkeyPatch
) -> None:
    coach, other = make_partner(["youth-coach"]), make_partner(["leerplicht"])
    settings_env.setenv("GLANSRIJK_ALLOW_HTTP_WEBHOOKS", "true")
    _clients(settings_env, coach_app=coach.id)
    token = authorization_server.token("coach_app", "subscriptions:manage signals:read")

    listing = client.get(PATH, headers=_bearer(token))

    assert listing.status_code == 200 and listing.json()["items"] == []
    # The partner's own resources only: another partner's subscription is not found.
    body = {"url": "http://127.0.0.1:9/hook", "types": ["nl.glansrijk.*"]}
    theirs = client.post(PATH, json=body, headers=other.headers)
    assert theirs.status_code == 201, theirs.text
    assert client.get(f"{PATH}/{theirs.json()['id']}", headers=_bearer(token)).status_code == 404
    # And an API key keeps working beside the tokens.
    assert client.get(PATH, headers=coach.headers).status_code == 200


def test_scopes_come_from_the_token(
    client: TestClient, authorization_server: AuthorizationServer, settings_env: pytest.MonkeyPatch
) -> None:
    coach = make_partner(["youth-coach"])
    _clients(settings_env, coach_app=coach.id)

    narrow = authorization_server.token("coach_app", "signals:read")
    # chain:manage counts only for the municipality's partner, as it does for keys.
    overreaching = authorization_server.token("coach_app", "chain:manage signals:read")

    assert client.get(PATH, headers=_bearer(narrow)).status_code == 403
    assert client.get("/signals/v1/escalations", headers=_bearer(overreaching)).status_code == 403


@pytest.mark.parametrize(
    "case",
    ["expired", "other-audience", "other-issuer", "unknown-client", "no-client", "other-key", "hs256", "none"],
)
def test_a_token_that_is_not_valid_is_401(
    client: TestClient, authorization_server: AuthorizationServer, settings_env: pytest.MonkeyPatch, case: str
) -> None:
    coach = make_partner(["youth-coach"])
    _clients(settings_env, coach_app=coach.id)
    scope = "subscriptions:manage"
    server = authorization_server
    now = int(time.time())
    public_pem = server.key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    claims = {"iss": ISSUER, "aud": AUDIENCE, "client_id": "coach_app", "scope": scope, "exp": now + 300}
    tokens = {
        "expired": server.token("coach_app", scope, exp=now - 120),
        "other-audience": server.token("coach_app", scope, aud="https://elsewhere.example"),
        "other-issuer": server.token("coach_app", scope, iss="https://evil.example"),
        "unknown-client": server.token("stranger", scope),
        "no-client": jwt.encode(
            {k: v for k, v in claims.items() if k != "client_id"}, server.key, "RS256", {"kid": "k1"}
        ),
        "other-key": jwt.encode(
            claims, rsa.generate_private_key(public_exponent=65537, key_size=2048), "RS256", {"kid": "k1"}
        ),
        # Signed with the public key as an HMAC secret: the classic algorithm confusion.
        "hs256": _hs256(claims, public_pem),
        "none": jwt.encode(claims, None, algorithm="none", headers={"kid": "k1"}),
    }

    answer = client.get(PATH, headers=_bearer(tokens[case]))

    assert answer.status_code == 401, answer.text
    assert answer.headers["www-authenticate"].startswith("Bearer")
    assert answer.headers["content-type"] == "application/problem+json"
    assert tokens[case] not in answer.text


def _hs256(claims: dict[str, Any], secret: bytes) -> str:
    import base64
    import hashlib
    import hmac

    def part(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    header = part(json.dumps({"alg": "HS256", "typ": "JWT", "kid": "k1"}).encode())
    payload = part(json.dumps(claims).encode())
    signature = hmac.new(secret, f"{header}.{payload}".encode(), hashlib.sha256).digest()
    return f"{header}.{payload}.{part(signature)}"


def test_tokens_are_refused_when_the_mode_is_off(client: TestClient, settings_env: pytest.MonkeyPatch) -> None:
    server = AuthorizationServer()  # never started: nothing may fetch its keys
    coach = make_partner(["youth-coach"])
    settings_env.setenv("GLANSRIJK_OAUTH_CLIENTS", json.dumps({"coach_app": coach.id}))
    reset_settings()

    answer = client.get(PATH, headers=_bearer(server.token("coach_app", "subscriptions:manage")))

    assert answer.status_code == 401
    server.server.server_close()


def test_a_jwks_that_does_not_answer_refuses_tokens_with_a_warning(
    client: TestClient, authorization_server: AuthorizationServer, settings_env: pytest.MonkeyPatch
) -> None:
    coach = make_partner(["youth-coach"])
    settings_env.setenv("GLANSRIJK_OAUTH_JWKS_URL", "http://127.0.0.1:9/jwks.json")
    _clients(settings_env, coach_app=coach.id)

    answer = client.get(PATH, headers=_bearer(authorization_server.token("coach_app", "subscriptions:manage")))

    assert answer.status_code == 401
    assert "cannot be fetched" in answer.json()["detail"]
