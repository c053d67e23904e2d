"""Bearer tokens of provisioning clients (RFC 6750 as RFC 7644 §2 asks): shown once, kept hashed."""

import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from accounts.provisioning.models import ProvisioningClient

MINUTE = timedelta(minutes=1)
TOKEN_PREFIX = "scim_"  # noqa: S105 (a prefix that makes leaked tokens easy to spot)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()


def issue_token(client: ProvisioningClient) -> str:
    """Gives ``client`` a new token and returns it; the previous one stops working at once.

    Only the digest and the first characters (to recognise it in admin) are stored, so the
    returned string can be shown once and never again. The new token lives
    PROVISIONING_TOKEN_DAYS days (0: until replaced).
    """
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    client.token_digest = _digest(token)
    client.token_hint = token[:12]
    days = settings.PROVISIONING_TOKEN_DAYS
    client.token_expires_at = timezone.now() + timedelta(days=days) if days > 0 else None
    client.save(update_fields=["token_digest", "token_hint", "token_expires_at"])
    return token


def client_for_token(token: str) -> ProvisioningClient | None:
    """The active client holding ``token``, or None (unknown, replaced, expired or inactive)."""
    if not token.startswith(TOKEN_PREFIX) or len(token) > 200:
        return None
    client = ProvisioningClient.objects.filter(token_digest=_digest(token), is_active=True).first()
    now = timezone.now()
    if (
        client is not None
        and client.token_expires_at is not None
        and client.token_expires_at <= now
    ):
        return None
    # "Last used" to the minute: one write a minute, not one per call of a busy client.
    if client is not None and (client.last_used_at is None or now - client.last_used_at > MINUTE):
        ProvisioningClient.objects.filter(pk=client.pk).update(last_used_at=now)
    return client
