"""System checks for impossible passkey settings (WebAuthn L3 §5.1.3, §13.4.9)."""

from urllib.parse import urlsplit

from django.core.checks import CheckMessage, Error, register

from mfa.passkeys import conf


def _within_rp_id(host: str, rp_id: str) -> bool:
    return host == rp_id or host.endswith("." + rp_id)


@register("security")
def check_passkey_settings(app_configs: object = None, **kwargs: object) -> list[CheckMessage]:
    """The RP ID must cover every allowed origin, and origins must be HTTPS (or localhost)."""
    from django.conf import settings

    errors: list[CheckMessage] = []
    rp_id = conf.rp_id()
    for origin in getattr(settings, "MFA_PASSKEYS_ORIGINS", []) or []:
        parts = urlsplit(origin)
        host = parts.hostname or ""
        if parts.scheme != "https" and host != conf.LOCALHOST:
            errors.append(
                Error(
                    f"MFA_PASSKEYS_ORIGINS has {origin!r}: browsers allow WebAuthn only on "
                    "https origins (or http://localhost).",
                    id="passkeys.E001",
                )
            )
        if not _within_rp_id(host, rp_id):
            errors.append(
                Error(
                    f"MFA_PASSKEYS_ORIGINS has {origin!r}, which is not within the RP ID "
                    f"{rp_id!r} (MFA_PASSKEYS_RP_ID): browsers refuse such requests.",
                    id="passkeys.E002",
                )
            )
        if parts.path not in ("", "/") or parts.query:
            errors.append(
                Error(
                    f"MFA_PASSKEYS_ORIGINS has {origin!r}: an origin is scheme, host and port.",
                    id="passkeys.E003",
                )
            )
    return errors
