"""System checks for the MFA settings (sso/settings.py, "Trust this device")."""

from django.conf import settings
from django.core.checks import CheckMessage, Error, register

# Browsers keep a cookie whose name has one of these prefixes only when it is set Secure, over
# HTTPS (RFC 6265bis §4.1.3).
SECURE_ONLY_PREFIXES = ("__Host-", "__Secure-")


@register()
def check_trust_cookie_name(app_configs: object = None, **kwargs: object) -> list[CheckMessage]:
    """An error when ``MFA_TRUST_COOKIE_NAME`` has a ``__Host-`` or ``__Secure-`` prefix while
    the cookie is not sent Secure (``SESSION_COOKIE_SECURE``, which ``SECURE_HTTPS`` sets):
    the browser would drop it, and "Trust this device" would silently never work."""
    name = settings.MFA_TRUST_COOKIE_NAME
    if settings.SESSION_COOKIE_SECURE or not name.startswith(SECURE_ONLY_PREFIXES):
        return []
    return [
        Error(
            f"MFA_TRUST_COOKIE_NAME is {name!r}, but cookies are not sent Secure "
            "(SESSION_COOKIE_SECURE is off): browsers drop a cookie with that prefix, so "
            "'Trust this device' would never be remembered.",
            hint="Serve over HTTPS (SECURE_HTTPS=true), or choose a name without the prefix.",
            id="mfa.E001",
        )
    ]
