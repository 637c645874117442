# SPDX-License-Identifier: EUPL-1.2
"""Optional OAuth2 resource-server mode: JWT access tokens from the municipality's authorization server
(client credentials, NL GOV Assurance profile for OAuth 2.0; RFC 9068 token claims), beside the API keys.

On only when `GLANSRIJK_OAUTH_JWKS_URL` is set (ADR 0030). A token is accepted when it is signed with an
asymmetric key from the JWKS, is issued by `GLANSRIJK_OAUTH_ISSUER` for `GLANSRIJK_OAUTH_AUDIENCE`, has not
expired, and names in `client_id` a client that `GLANSRIJK_OAUTH_CLIENTS` maps to a partner. Its `scope` claim
gives the scopes, limited to the interface's; `chain:manage` counts only for the municipality's partner, as it
does for keys.
"""

from __future__ import annotations

import logging
import threading
import uuid

import jwt

from services.core.settings import Settings

log = logging.getLogger(__name__)

# Asymmetric only: a symmetric algorithm would let anyone holding the public JWKS sign tokens ("alg confusion").
ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384"]
LEEWAY_SECONDS = 30
JWKS_TIMEOUT = 5.0


class InvalidToken(Exception):
    """The token is not accepted; the message says why, for the 401's detail (never the token itself)."""


def looks_like_jwt(credential: str) -> bool:
    # A JWS in compact form: three base64url parts, the header a JSON object ("eyJ" is base64 for '{"').
    return credential.startswith("eyJ") and credential.count(".") == 2


_clients: dict[str, jwt.PyJWKClient] = {}
_clients_lock = threading.Lock()


def _jwks(url: str) -> jwt.PyJWKClient:
    # One client per URL and process: it caches the key set for five minutes and fetches again for an unknown
    # `kid`, which is how a key rotation at the authorization server reaches us.
    with _clients_lock:
        client = _clients.get(url)
        if client is None:
            client = _clients[url] = jwt.PyJWKClient(url, cache_keys=True, lifespan=300, timeout=JWKS_TIMEOUT)
        return client


def verify(token: str, settings: Settings) -> tuple[uuid.UUID, uuid.UUID, frozenset[str]]:
    """The token's (caller id, partner id, scopes), or InvalidToken."""
    assert settings.oauth_jwks_url is not None
    try:
        signing_key = _jwks(settings.oauth_jwks_url).get_signing_key_from_jwt(token)
        claims = jwt.decode(
            token,
            signing_key.key,
            algorithms=ALGORITHMS,
            audience=settings.oauth_audience,
            issuer=settings.oauth_issuer,
            leeway=LEEWAY_SECONDS,
            options={"require": ["exp", "iss", "aud", "client_id"]},
        )
    except jwt.PyJWKClientConnectionError:
        log.warning("OAuth2: the JWKS does not answer; access tokens are refused until it does")
        raise InvalidToken("The authorization server's keys cannot be fetched.") from None
    except jwt.PyJWTError as exc:
        raise InvalidToken(f"The access token is not valid ({type(exc).__name__}).") from None
    client_id = str(claims["client_id"])
    partner_id = settings.oauth_clients.get(client_id)
    if partner_id is None:
        raise InvalidToken("The token's client is not registered with a partner.")
    scopes = frozenset(str(claims.get("scope", "")).split())
    # A stable id per issuer and client: the rate limiter counts by it, and the audit log names it.
    caller_id = uuid.uuid5(uuid.NAMESPACE_URL, f"{settings.oauth_issuer}#{client_id}")
    return caller_id, partner_id, scopes
