"""The audit trail: one call records one event (design.md "Audit trail", seeds/002).

Every sign-in step, factor change, trusted-device change, password change and admin action
calls ``record``. The client IP honours SSO_TRUSTED_PROXIES (sso.net.client_ip); the device
is a readable label parsed from the user agent.
"""

import logging
from datetime import timedelta
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from urllib.parse import parse_qs, urlsplit

from django.conf import settings
from django.http import HttpRequest
from django.utils import timezone
from user_agents import parse as parse_user_agent

from accounts import inserts
from accounts.models import AuditEvent, User
from sso.net import client_ip

logger = logging.getLogger(__name__)

# Event kinds, one name per step or change.
SIGNIN_PASSWORD = "signin.password"
SIGNIN_SECOND_FACTOR = "signin.second_factor"
SIGNIN_PASSKEY = "signin.passkey"
SIGNIN_SECURITY_QUESTION = "signin.security_question"
SIGNIN_COMPLETE = "signin.complete"
SIGNOUT = "signout"
PASSWORD_RESET_REQUESTED = "password.reset_requested"
PASSWORD_CHANGED = "password.changed"
# A signed-in user typed a secret again (re-authentication, old password, factor removal,
# a code confirming a new factor); details["purpose"] says which.
SECRET_CHECK = "secret.check"
FACTOR_CHANGED = "factor.changed"
TRUSTED_DEVICE_ADDED = "trusted_device.added"
TRUSTED_DEVICE_REVOKED = "trusted_device.revoked"
SESSION_ENDED = "session.ended"
ADMIN_ACTION = "admin.action"
ACCOUNT_DEACTIVATED = "account.deactivated"
ACCOUNT_REACTIVATED = "account.reactivated"
ACCOUNT_DELETED = "account.deleted"
INVITATION_SENT = "invitation.sent"
INVITATION_ACCEPTED = "invitation.accepted"
SIGNUP_REQUESTED = "signup.requested"
SIGNUP_COMPLETED = "signup.completed"
ACCOUNTS_IMPORTED = "accounts.imported"
PROFILE_CHANGED = "profile.changed"
DATA_EXPORTED = "data.exported"
EMAIL_CHANGED = "email.changed"

SUCCESS = AuditEvent.Result.SUCCESS
FAILURE = AuditEvent.Result.FAILURE
REFUSED = AuditEvent.Result.REFUSED


@lru_cache(maxsize=256)
def device_label(user_agent: str) -> str:
    """'Pixel 7 / Android 13 / Chrome 120.0' — what a person recognises as their device.

    Kept for the last 256 user agents: a sign-in labels the same browser for several rows
    (audit events, the user-session and known-device rows), and parsing is regex work."""
    if not user_agent:
        return ""
    try:
        return str(parse_user_agent(user_agent))[:100]
    except Exception:  # a hostile header must never break a sign-in
        logger.info("unparsable user agent")
        return ""


def _coarse(value: object) -> Decimal | None:
    """A coordinate rounded to 2 decimals (about 1 km), or None when it is not one."""
    try:
        number = Decimal(str(value)).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError, TypeError):
        return None
    return number if abs(number) <= 180 else None


def relying_app_of(next_url: str) -> str:
    """The client_id of the relying app an OIDC authorize URL is for, or "" (the portal itself).

    Sign-in events carry it (details.client_id) so that the Overview can count per app.
    """
    parts = urlsplit(next_url or "")
    if not parts.path.endswith("/o/authorize/"):
        return ""
    return parse_qs(parts.query).get("client_id", [""])[0][:100]


def _signin_in_progress_app(request: HttpRequest) -> str:
    from accounts.signin.flows import SIGNIN_SESSION_KEY  # flows imports this module

    state = request.session.get(SIGNIN_SESSION_KEY) if hasattr(request, "session") else None
    return relying_app_of(state.get("next", "")) if isinstance(state, dict) else ""


def record(
    request: HttpRequest | None,
    kind: str,
    result: str = SUCCESS,
    *,
    user: User | None = None,
    username: str = "",
    actor: User | None = None,
    method: str = "",
    **details: object,
) -> AuditEvent:
    """Writes one event (``event``'s) and returns it. ``request`` gives IP, user agent and
    (with consent) location.

    Written with SQL built once per process (accounts.inserts); inside ``together(request)``
    when the block ends, with the others.
    """
    row = event(
        request, kind, result, user=user, username=username, actor=actor, method=method,
        **details,
    )  # fmt: skip
    inserts.add(request, row)
    return row


def event(
    request: HttpRequest | None,
    kind: str,
    result: str = SUCCESS,
    *,
    user: User | None = None,
    username: str = "",
    actor: User | None = None,
    method: str = "",
    **details: object,
) -> AuditEvent:
    """The event ``record`` writes, not written: for a statement that writes it with another
    change (accounts.attempts.SuccessRecord). Takes what ``record`` takes."""
    user_agent = request.headers.get("User-Agent", "")[:300] if request else ""
    location = request.session.get(LOCATION_SESSION_KEY) if request is not None else None
    if user is not None and not username:
        username = user.get_username()
    if request is not None and kind.startswith("signin.") and "client_id" not in details:
        details["client_id"] = _signin_in_progress_app(request)
    if details.get("client_id") == "":
        del details["client_id"]
    return AuditEvent(
        kind=kind,
        result=result,
        user=user if user is not None and user.pk else None,
        username=username[:150],
        actor=actor,
        method=method[:40],
        ip=client_ip(request) if request is not None else None,
        user_agent=user_agent,
        device=device_label(user_agent),
        latitude=_coarse(location[0]) if location else None,
        longitude=_coarse(location[1]) if location else None,
        details={key: str(value)[:200] for key, value in details.items()},
    )


# The events of one request held back, written in one statement as the block ends (with the
# other rows a sign-in's completion writes: accounts.inserts).
together = inserts.together


LOCATION_SESSION_KEY = "accounts.location"


def remember_location(request: HttpRequest, latitude: object, longitude: object) -> None:
    """Keeps a position the browser shared (with the user's consent) for this sign-in's events."""
    if not settings.ACCOUNTS_LOCATION_ENABLED:
        return
    lat, lon = _coarse(latitude), _coarse(longitude)
    if lat is not None and lon is not None and abs(lat) <= 90:
        request.session[LOCATION_SESSION_KEY] = (str(lat), str(lon))


def recent_signins(user: User, limit: int = 20) -> list[AuditEvent]:
    """The user's last sign-in events for Security Settings' Recent activity."""
    return list(
        AuditEvent.objects.filter(user=user, kind__startswith="signin.").order_by("-created_at")[
            :limit
        ]
    )


def prune(now: object = None) -> int:
    """Deletes events older than ACCOUNTS_AUDIT_RETENTION_DAYS; returns how many.

    Called by the ``prune_audit`` command and the periodic Celery task (one function for both).
    """
    cutoff = (now or timezone.now()) - timedelta(days=settings.ACCOUNTS_AUDIT_RETENTION_DAYS)
    deleted, _ = AuditEvent.objects.filter(created_at__lt=cutoff).delete()
    return deleted
