"""Who is on the other end of a request."""

import functools
import ipaddress

from django.conf import settings
from django.http import HttpRequest

# Where client_ip keeps its answer on the request, with what it was worked out from.
_CLIENT_IP_ATTRIBUTE = "_sso_client_ip"


@functools.lru_cache(maxsize=4)
def _networks(
    entries: tuple[str, ...],
) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    """``SSO_TRUSTED_PROXIES`` parsed once (entries that are no network are left out)."""
    networks = []
    for entry in entries:
        try:
            networks.append(ipaddress.ip_network(entry, strict=False))
        except ValueError:
            continue
    return tuple(networks)


def _is_trusted_proxy(address: str) -> bool:
    networks = _networks(tuple(settings.SSO_TRUSTED_PROXIES))
    if not networks:
        return False
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in networks)


def client_ip(request: HttpRequest) -> str:
    """The client's IP address.

    ``X-Forwarded-For`` is read only when the request came from a configured trusted proxy, and
    then from the right: the first address not itself a trusted proxy is the client. Anyone can
    send the header, so trusting it otherwise would let an attacker pick their own rate-limit key.
    Worked out once per request (the rate limits, the audit row and the device check all ask).
    """
    remote = request.META.get("REMOTE_ADDR", "") or "0.0.0.0"  # noqa: S104 (an unknown peer)
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    asked = (remote, forwarded, tuple(settings.SSO_TRUSTED_PROXIES))
    known = getattr(request, _CLIENT_IP_ATTRIBUTE, None)
    if known is not None and known[0] == asked:
        return known[1]
    ip = _client_ip(remote, forwarded)
    setattr(request, _CLIENT_IP_ATTRIBUTE, (asked, ip))
    return ip


def _client_ip(remote: str, forwarded: str) -> str:
    if not _is_trusted_proxy(remote):
        return remote
    hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
    for hop in reversed(hops):
        try:
            ipaddress.ip_address(hop)
        except ValueError:
            return remote
        if not _is_trusted_proxy(hop):
            return hop
    return remote


def client_network(ip: str) -> str:
    """The network ``ip`` belongs to for rate limits: its /24 (IPv4) or /64 (IPv6) by default.

    One IPv6 host usually holds a whole /64 and can pick a new address for every request, and
    addresses next to each other are usually one operator: counting per network stops an
    attacker who walks through them. The prefixes are ACCOUNTS_NETWORK_PREFIX_V4 / _V6.
    """
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return ip
    prefix = (
        settings.ACCOUNTS_NETWORK_PREFIX_V4
        if address.version == 4
        else settings.ACCOUNTS_NETWORK_PREFIX_V6
    )
    prefix = max(0, min(prefix, address.max_prefixlen))  # a mistyped setting never errors here
    return str(ipaddress.ip_network(f"{address}/{prefix}", strict=False))
