"""Who is on the other end of a request."""

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def _is_trusted_proxy(address: str) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    for entry in settings.SSO_TRUSTED_PROXIES:
        try:
            if ip in ipaddress.ip_network(entry, strict=False):
                return True
        except ValueError:
            continue
    return False


def client_ip(request: HttpRequest) -> str:
    """The client's IP address.

    ``X-Forwarded-For`` is read only when the request came from a configured trusted proxy, and
    then from the right: the first address not itself a trusted proxy is the client. Anyone can
    send the header, so trusting it otherwise would let an attacker pick their own rate-limit key.
    """
    remote = request.META.get("REMOTE_ADDR", "") or "0.0.0.0"  # noqa: S104 (an unknown peer)
    if not _is_trusted_proxy(remote):
        return remote
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
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
