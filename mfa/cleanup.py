"""Deletes what sign-ins leave behind once it can no longer be used (style.md §8: one plain
function, called by the ``cleanup`` management command and by the periodic Celery task).

Without it these tables grow with every sign-in for ever (bench/soak.py measures it):

- sessions past their expiry date (Django's own ``clear_expired`` of the session engine);
- e-mail/SMS code challenges whose sign-in attempt is over: an attempt lives at most
  MFA_PENDING_SECONDS and a code MFA_CODE_TTL_SECONDS, so a challenge created longer ago than
  both can never be answered again (the send limits live in the cache, not in these rows);
- passkey challenges past ``expires_at``;
- trusted devices past ``expires_at`` (revoked ones are deleted when revoked).
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from importlib import import_module

from django.conf import settings
from django.utils import timezone

from mfa.models import CodeChallenge, TrustedDevice
from mfa.passkeys.models import Challenge


@dataclass(frozen=True)
class Cleaned:
    """How many rows each table lost."""

    code_challenges: int
    passkey_challenges: int
    trusted_devices: int
    sessions_cleared: bool  # False when the session engine expires entries by itself


def code_challenge_lifetime() -> timedelta:
    return timedelta(seconds=max(settings.MFA_PENDING_SECONDS, settings.MFA_CODE_TTL_SECONDS))


def clear_expired(now: datetime | None = None) -> Cleaned:
    """Deletes every expired row; ``now`` is for tests (a fixed clock)."""
    now = now or timezone.now()
    codes, _ = CodeChallenge.objects.filter(created_at__lt=now - code_challenge_lifetime()).delete()
    passkeys, _ = Challenge.objects.filter(expires_at__lt=now).delete()
    devices, _ = TrustedDevice.objects.filter(expires_at__lt=now).delete()
    return Cleaned(codes, passkeys, devices, _clear_sessions())


def _clear_sessions() -> bool:
    engine = import_module(settings.SESSION_ENGINE)
    try:
        engine.SessionStore.clear_expired()
    except NotImplementedError:  # cache-backed sessions expire on their own
        return False
    return True
