"""A person's data as JSON (UU 27/2022 gives the right to a copy): profile, second factors
without secrets, trusted devices, sessions, invitations and audit events.

Each section is a function ``(user) -> object`` named in ACCOUNTS_DATA_EXPORT_SECTIONS, so an
app that keeps more personal data adds its own. Nothing secret leaves: no password hash, no
TOTP key, no code hash, no public key or credential id of a passkey, no token.
"""

from typing import Any

from django.conf import settings
from django.utils import timezone
from django.utils.module_loading import import_string

from accounts import sessions
from accounts.models import AuditEvent, User


def _time(value: Any) -> str | None:
    return value.isoformat() if value else None


def profile(user: User) -> dict:
    return {
        "username": user.get_username(),
        "full_name": user.full_name,
        "email": user.email,
        "phone": user.phone,
        "date_joined": _time(user.date_joined),
        "last_login": _time(user.last_login),
        "is_staff": user.is_staff,
        "groups": sorted(user.groups.values_list("name", flat=True)),
    }


def second_factors(user: User) -> dict:
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from mfa.models import EmailDevice, RecoveryCode
    from mfa.passkeys.models import Passkey
    from mfa.sms.models import SmsDevice

    return {
        "authenticator_apps": [
            {"name": d.name, "confirmed": d.confirmed} for d in TOTPDevice.objects.filter(user=user)
        ],
        "email": [
            {"address": d.email, "confirmed": d.confirmed}
            for d in EmailDevice.objects.filter(user=user)
        ],
        "sms": [
            {"number": d.number, "enabled": d.enabled} for d in SmsDevice.objects.filter(user=user)
        ],
        "passkeys": [
            {
                "name": p.name,
                "aaguid": p.aaguid,
                "backed_up": p.backup_state,
                "created": _time(p.created_at),
                "last_used": _time(p.last_used_at),
            }
            for p in Passkey.objects.filter(user=user)
        ],
        "recovery_codes_left": RecoveryCode.objects.filter(user=user, used_at__isnull=True).count(),
    }


def trusted_devices(user: User) -> list[dict]:
    from mfa.models import TrustedDevice

    return [
        {
            "user_agent": d.user_agent, "ip": d.ip, "created": _time(d.created_at),
            "expires": _time(d.expires_at), "last_used": _time(d.last_used_at),
        }
        for d in TrustedDevice.objects.filter(user=user)
    ]  # fmt: skip


def signed_in_sessions(user: User) -> list[dict]:
    return [
        {"device": s.device, "ip": s.ip, "since": _time(s.created_at)}
        for s in sessions.live_sessions(user)
    ]


def invitations(user: User) -> list[dict]:
    return [
        {
            "created": _time(i.created_at), "expires": _time(i.expires_at),
            "sent": _time(i.sent_at), "accepted": _time(i.accepted_at), "state": i.state,
        }
        for i in user.invitations.all()
    ]  # fmt: skip


def audit_events(user: User) -> list[dict]:
    rows = AuditEvent.objects.filter(user=user).order_by("created_at")
    return [
        {
            "time": _time(e.created_at), "kind": e.kind, "result": e.result, "method": e.method,
            "ip": e.ip, "device": e.device, "details": e.details,
        }
        for e in rows.iterator(chunk_size=2000)
    ]  # fmt: skip


def export_user_data(user: User) -> dict:
    """Every section of ACCOUNTS_DATA_EXPORT_SECTIONS for ``user``, keyed by function name,
    with the time of the export; JSON-serialisable."""
    data: dict[str, Any] = {"exported_at": timezone.now().isoformat()}
    for path in settings.ACCOUNTS_DATA_EXPORT_SECTIONS:
        section = import_string(path)
        data[section.__name__] = section(user)
    return data
