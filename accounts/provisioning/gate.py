"""Who may call /scim/v2/, and what every call leaves behind (RFC 7644 §2, §7).

django-scim2 wraps each of its views in the class named by ``AUTH_CHECK_MIDDLEWARE``; this is
that class. Before the view: the body limit, the bearer token of a provisioning client, its
IP allow-list and its rate limit. Around the view: one database transaction, rolled back when
the answer is an error, so that a refused request leaves nothing half-written. After it: one
audit event (client, operation, resource, result) and a well-formed SCIM error body.
"""

import ipaddress
import time
from collections.abc import Callable

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import RequestDataTooBig
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.utils.cache import patch_cache_control

from accounts import audit
from accounts.provisioning.errors import error_response, normalised
from accounts.provisioning.models import ProvisioningClient
from accounts.provisioning.tokens import client_for_token
from sso.net import client_ip

AUDIT_KIND = "provisioning.scim"
RATE_KEY = "scim:rate:{}:{}"


def _allowed(client: ProvisioningClient, ip: str) -> bool:
    networks = [line.strip() for line in client.allowed_networks.splitlines() if line.strip()]
    if not networks:
        return True
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return False
    for network in networks:
        try:
            if address in ipaddress.ip_network(network, strict=False):
                return True
        except ValueError:
            continue
    return False


def _over_rate(client: ProvisioningClient) -> bool:
    """Counts this call in the client's current minute; True when over its limit."""
    key = RATE_KEY.format(client.pk, int(time.time() // 60))
    cache.add(key, 0, timeout=120)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=120)
        count = 1
    return count > client.requests_per_minute


def _bearer(request: HttpRequest) -> str:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


class ScimGate:
    """The ``AUTH_CHECK_MIDDLEWARE`` of django-scim2: wraps one view call."""

    def __init__(self, get_response: Callable[..., HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
        client, refusal = self._admit(request)
        if refusal is not None:
            response = normalised(refusal)
        else:
            request.scim_client = client  # type: ignore[attr-defined]
            with transaction.atomic():
                response = normalised(self.get_response(request, *args, **kwargs))
                if response.status_code >= 400:
                    transaction.set_rollback(True)
        self._record(request, client, response)
        # Users' data, or the refusal of a bearer token: never stored by a cache (RFC 6750 §5.3).
        patch_cache_control(response, no_store=True)
        return response

    def _admit(self, request: HttpRequest) -> tuple[ProvisioningClient | None, HttpResponse | None]:
        client = client_for_token(_bearer(request))
        if client is None:
            response = error_response(401, "A valid bearer token is required.")
            response["WWW-Authenticate"] = 'Bearer realm="SCIM"'
            return None, response
        if not _allowed(client, client_ip(request)):
            return client, error_response(403, "This address may not call for this client.")
        if _over_rate(client):
            response = error_response(429, "Too many requests; slow down.")
            response["Retry-After"] = "60"
            return client, response
        limit = settings.PROVISIONING_MAX_BODY_BYTES
        try:
            declared = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            declared = 0
        too_big = error_response(413, f"The request body is larger than {limit} bytes.")
        if declared > limit:
            return client, too_big
        try:
            if len(request.body) > limit:
                return client, too_big
        except RequestDataTooBig:
            return client, too_big
        return client, None

    def _record(
        self, request: HttpRequest, client: ProvisioningClient | None, response: HttpResponse
    ) -> None:
        status = response.status_code
        if status < 400:
            result = audit.SUCCESS
        elif status in (401, 403, 429):
            result = audit.REFUSED
        else:
            result = audit.FAILURE
        audit.record(
            request,
            AUDIT_KIND,
            result,
            # A refused write was rolled back: the user it made does not exist.
            user=getattr(request, "scim_user", None) if status < 400 else None,
            method=request.method or "",
            client=client.name if client is not None else "",
            operation=f"{request.method} {request.path}",
            resource=response.get("Location", "") or request.path,
            status=status,
        )
