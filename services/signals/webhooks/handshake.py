# SPDX-License-Identifier: EUPL-1.2
"""The CloudEvents web hook abuse-protection handshake (interface.md, "Webhooks"; CloudEvents HTTP web hook
spec, section 4): an OPTIONS request with `WebHook-Request-Origin`; the target consents with 200 and a
`WebHook-Allowed-Origin` that is our origin or `*`.
"""

from __future__ import annotations

import httpx

HANDSHAKE_TIMEOUT_SECONDS = 5.0


def refusal(url: str, origin: str, *, timeout: float = HANDSHAKE_TIMEOUT_SECONDS) -> str | None:
    """None when the target at `url` consents to deliveries from `origin`; else why not (for the partner).

    Call `urls.check_url` first. Redirects are not followed (a redirect could lead past the address check), and
    proxies from the environment are not used (the check is about the target, not a proxy).
    """
    try:
        with httpx.Client(timeout=timeout, follow_redirects=False, trust_env=False) as client:
            response = client.options(url, headers={"WebHook-Request-Origin": origin})
    except httpx.HTTPError as error:
        return f"The handshake failed: the target did not answer ({type(error).__name__})."
    if response.status_code != 200:
        return f"The target refused the handshake: HTTP {response.status_code} to OPTIONS (200 expected)."
    allowed = [value.strip() for value in response.headers.get("WebHook-Allowed-Origin", "").split(",")]
    if "*" not in allowed and origin.lower() not in (value.lower() for value in allowed):
        return f"The target did not allow origin {origin} (WebHook-Allowed-Origin: {', '.join(allowed) or 'absent'})."
    return None
