"""The address of the client behind a request, for rate limits and quarantine records.

X-Forwarded-For is a header any client can send. It counts only on a request whose peer is one
of the configured proxies (BALIE_TRUSTED_PROXIES: addresses or networks); then the client is
the right-most address in it that is not a trusted proxy itself. Anything else is the peer
address: never a value the client chose.
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@lru_cache(maxsize=8)
def _networks(entries: tuple[str, ...]) -> tuple[Network, ...]:
    networks = []
    for entry in entries:
        try:
            networks.append(ipaddress.ip_network(entry.strip(), strict=False))
        except ValueError:
            raise ImproperlyConfigured(
                f"BALIE_TRUSTED_PROXIES: {entry!r} is not an IP address or network "
                "(give the proxies' addresses, e.g. 10.0.0.5,10.1.0.0/16)"
            ) from None
    return tuple(networks)


def trusted_proxies() -> tuple[Network, ...]:
    value: Any = getattr(settings, "BALIE_TRUSTED_PROXIES", ()) or ()
    if isinstance(value, str):
        value = value.split(",")
    return _networks(tuple(str(entry) for entry in value if str(entry).strip()))


def _is_trusted(address: str, networks: tuple[Network, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(address.strip())
    except ValueError:
        return False
    return any(ip in network for network in networks)


def client_address(peer: str, forwarded_for: str = "") -> str:
    """The client's address, from the peer address and the X-Forwarded-For header."""
    networks = trusted_proxies()
    if not networks or not _is_trusted(peer, networks):
        return peer
    hops = [part.strip() for part in forwarded_for.split(",") if part.strip()]
    for hop in reversed(hops):
        if not _is_trusted(hop, networks):
            try:
                return str(ipaddress.ip_address(hop))
            except ValueError:
                return peer  # a proxy passed on garbage: the proxy is all we know
    return hops[0] if hops else peer


def client_ip(request: HttpRequest) -> str:
    return client_address(
        str(request.META.get("REMOTE_ADDR", "")), request.META.get("HTTP_X_FORWARDED_FOR", "")
    )
