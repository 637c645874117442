# SPDX-License-Identifier: EUPL-1.2
"""Webhook target checks, at registration and again at connect time (interface.md, "Webhooks").

A subscription URL must not turn Glansrijk into a way to reach its own network (SSRF): only https, and every
address the host resolves to must be public. Checked again right before each connection, because DNS answers
change; the dispatcher then connects to an address this module approved. Development settings relax it:
`GLANSRIJK_ALLOW_HTTP_WEBHOOKS` allows `http://` and loopback, `GLANSRIJK_WEBHOOK_ALLOWED_NETWORKS` names
networks that are allowed even though they are not public.
"""

from __future__ import annotations

import socket
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from ipaddress import IPv4Address, IPv6Address, ip_address
from typing import Any
from urllib.parse import urlsplit

from services.core.settings import Settings, get_settings

Address = IPv4Address | IPv6Address
Resolver = Callable[..., Sequence[tuple[Any, ...]]]
ERROR_CLASS = "blocked-address"  # the delivery attempt's `errorClass` when a check fails at connect time
DEFAULT_PORTS = {"https": 443, "http": 80}
# Cloud instance metadata services (AWS, GCP, Azure, and AWS's IPv6 one): named, so the reason says so.
METADATA_ADDRESSES = frozenset({ip_address("169.254.169.254"), ip_address("fd00:ec2::254")})


class BlockedUrl(ValueError):
    """The URL may not be a webhook target; `reason` is safe to show to the partner."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Target:
    """An approved target: connect to one of `addresses` (not to a new DNS answer), send `Host: host`."""

    url: str
    scheme: str
    host: str
    port: int
    addresses: tuple[Address, ...]


def _category(address: Address) -> str | None:
    """Why an address is not public, or None when it is."""
    if address in METADATA_ADDRESSES:
        return "the cloud metadata address"
    checks = (
        (address.is_loopback, "a loopback address"),
        (address.is_unspecified, "the unspecified address"),
        (address.is_link_local, "a link-local address"),
        (address.is_multicast, "a multicast address"),
        (address.is_private, "a private address"),
        (address.is_reserved, "a reserved address"),
        (not address.is_global, "not a public address"),
    )
    return next((reason for failed, reason in checks if failed), None)


def blocked_reason(address: Address, settings: Settings | None = None) -> str | None:
    """None when Glansrijk may connect to `address`; else what kind of address it is."""
    settings = settings or get_settings()
    # Python 3.11 does not see through IPv4-mapped IPv6 (::ffff:127.0.0.1 is not "loopback"): judge the IPv4.
    if isinstance(address, IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if any(address.version == net.version and address in net for net in settings.webhook_allowed_networks):
        return None
    if address.is_loopback and settings.allow_http_webhooks:
        return None
    return _category(address)


def _parse(url: str, settings: Settings) -> tuple[str, str, int]:
    if not url.isascii() or any(char.isspace() or not char.isprintable() for char in url):
        raise BlockedUrl("The URL must be ASCII without spaces (write an international host name in punycode).")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise BlockedUrl("Not a valid URL.") from None
    scheme = parts.scheme.lower()
    if scheme == "http" and not settings.allow_http_webhooks:
        raise BlockedUrl("Webhook targets must use https.")
    if scheme not in DEFAULT_PORTS:
        raise BlockedUrl("Webhook targets must be https URLs.")
    if not parts.hostname:
        raise BlockedUrl("The URL has no host.")
    # Credentials in a URL end up in logs; the subscription's `authToken` is the place for them.
    if parts.username is not None or parts.password is not None:
        raise BlockedUrl("The URL may not contain credentials; use `authToken`.")
    return scheme, parts.hostname.rstrip(".") or parts.hostname, port or DEFAULT_PORTS[scheme]


def resolve(host: str, port: int, resolver: Resolver = socket.getaddrinfo) -> tuple[Address, ...]:
    """Every address `host` resolves to (an IP literal resolves to itself), in the resolver's order, unique."""
    try:
        answers = resolver(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):  # socket.gaierror is an OSError; a bad IDNA label a UnicodeError
        raise BlockedUrl(f"The host {host} does not resolve.") from None
    # sockaddr[0] of IPv6 may carry a zone ("fe80::1%eth0"): the zone does not change what the address is.
    found = [ip_address(str(answer[4][0]).split("%")[0]) for answer in answers]
    if not found:
        raise BlockedUrl(f"The host {host} does not resolve.")
    return tuple(dict.fromkeys(found))


def check_url(url: str, *, resolver: Resolver = socket.getaddrinfo, settings: Settings | None = None) -> Target:
    """The approved target of `url`, or BlockedUrl: at registration and, later, right before connecting.

    Every address the host resolves to must pass, not just one: otherwise a host with one public and one
    private answer would be let through and connected to the private one.
    """
    settings = settings or get_settings()
    scheme, host, port = _parse(url, settings)
    addresses = resolve(host, port, resolver)
    for address in addresses:
        reason = blocked_reason(address, settings)
        if reason is not None:
            shown = host if host == str(address) else f"{host} ({address})"
            raise BlockedUrl(f"The host {shown} is {reason}; webhook targets must be public addresses.")
    return Target(url=url, scheme=scheme, host=host, port=port, addresses=addresses)
