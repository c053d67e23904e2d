"""System checks for the cookies the sign-in relies on (sso/settings.py)."""

from django.conf import settings
from django.core.checks import CheckMessage, Error, register

# Browsers keep a cookie whose name has one of these prefixes only when it is set Secure, over
# HTTPS (RFC 6265bis §4.1.3).
SECURE_ONLY_PREFIXES = ("__Host-", "__Secure-")


# Each cookie the portal names, and the setting that says whether it is sent Secure.
COOKIES = (
    ("MFA_TRUST_COOKIE_NAME", "SESSION_COOKIE_SECURE"),  # "Trust this device" (mfa.trust)
    ("ACCOUNTS_DEVICE_COOKIE_NAME", "SESSION_COOKIE_SECURE"),  # known browsers (accounts.devices)
    ("SESSION_COOKIE_NAME", "SESSION_COOKIE_SECURE"),
    ("CSRF_COOKIE_NAME", "CSRF_COOKIE_SECURE"),
)


@register()
def check_cookie_names(app_configs: object = None, **kwargs: object) -> list[CheckMessage]:
    """An error for each cookie name with a ``__Host-`` or ``__Secure-`` prefix while that
    cookie is not sent Secure (``SECURE_HTTPS`` sets the flags): the browser would drop it, and
    what it carries ("Trust this device", the known browser, the session, the CSRF token)
    would silently never be kept."""
    errors: list[CheckMessage] = []
    for name_setting, secure_setting in COOKIES:
        name = getattr(settings, name_setting)
        if getattr(settings, secure_setting) or not name.startswith(SECURE_ONLY_PREFIXES):
            continue
        errors.append(
            Error(
                f"{name_setting} is {name!r}, but that cookie is not sent Secure "
                f"({secure_setting} is off): browsers drop a cookie with that prefix.",
                hint="Serve over HTTPS (SECURE_HTTPS=true), or choose a name without the prefix.",
                id="mfa.E001",
            )
        )
    return errors
