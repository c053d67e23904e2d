"""Trusted devices (seeds/000, design.md "Trusted devices").

"Trust this device" checked: no challenge on this browser for ``MFA_TRUST_DAYS`` (14) days;
unchecked: none until midnight of the same day in TIME_ZONE. The browser holds a signed cookie
(its own salt) with the user id and a random token; the server keeps the token's SHA-256 in a
TrustedDevice row that the user and admins can see and revoke. A cookie that is tampered,
expired, revoked or for another user is ignored: the challenge is asked.
"""

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from accounts import audit, inserts
from accounts.models import User
from mfa.models import TrustedDevice
from sso.net import client_ip

COOKIE_SALT = "mfa.trusted-device"


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def trust_expiry(remember: bool, now: datetime | None = None) -> datetime:
    """14 days from now, or the coming midnight in the portal's time zone."""
    now = now or timezone.now()
    if remember:
        return now + timedelta(days=settings.MFA_TRUST_DAYS)
    local = timezone.localtime(now)
    midnight = datetime.combine(local.date() + timedelta(days=1), time.min)
    return timezone.make_aware(midnight, timezone.get_current_timezone())


@dataclass(frozen=True)
class TrustCookie:
    """The cookie that names a trusted browser: ``value`` (``<user id>:<token>``, signed when
    set) until ``expires_at``."""

    value: str
    expires_at: datetime

    def set_on(self, response: HttpResponse) -> None:
        """Gives ``response``'s browser the cookie (signed with its own salt, HttpOnly, Lax)."""
        response.set_signed_cookie(
            settings.MFA_TRUST_COOKIE_NAME,
            self.value,
            salt=COOKIE_SALT,
            expires=self.expires_at,
            secure=settings.SESSION_COOKIE_SECURE,
            httponly=True,
            samesite="Lax",
        )


def trust_device(request: HttpRequest, user: User, remember: bool) -> TrustCookie:
    """Records this browser as trusted; returns the cookie to give it (``TrustCookie.set_on``:
    the page that answers may be rendered only after the sign-in's rows are written). The row
    is written now, or with the sign-in's other rows inside ``accounts.inserts.together`` (its
    id is not read)."""
    token = secrets.token_urlsafe(32)
    expires_at = trust_expiry(remember)
    device = TrustedDevice(
        user=user,
        token_hash=_token_hash(token),
        expires_at=expires_at,
        user_agent=request.headers.get("User-Agent", "")[:300],
        ip=client_ip(request) or None,
    )
    inserts.add(request, device)
    audit.record(request, audit.TRUSTED_DEVICE_ADDED, user=user, until=expires_at.isoformat())
    return TrustCookie(f"{user.pk}:{token}", expires_at)


def trusted_device_for(request: HttpRequest, user: User) -> TrustedDevice | None:
    """The live TrustedDevice this browser's cookie names for ``user``, else None."""
    value = request.get_signed_cookie(
        settings.MFA_TRUST_COOKIE_NAME, default=None, salt=COOKIE_SALT
    )
    if not value or ":" not in value:
        return None
    user_id, token = value.split(":", 1)
    if user_id != str(user.pk):
        return None
    device = TrustedDevice.objects.filter(
        user=user, token_hash=_token_hash(token), expires_at__gt=timezone.now()
    ).first()
    if device is not None:
        TrustedDevice.objects.filter(pk=device.pk).update(last_used_at=timezone.now())
    return device


def revoke(user: User, device_id: int) -> bool:
    deleted, _ = TrustedDevice.objects.filter(user=user, pk=device_id).delete()
    return bool(deleted)


def revoke_all(user: User) -> int:
    deleted, _ = TrustedDevice.objects.filter(user=user).delete()
    return deleted
