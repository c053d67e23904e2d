"""Settings of the passkeys app, each read with its documented default.

``MFA_PASSKEYS_RP_ID`` (default ``"localhost"``)
    The WebAuthn Relying Party ID: the portal's registrable domain, e.g. ``sso.example.com``.
    Credentials are bound to it for good; changing it orphans every registered passkey.
``MFA_PASSKEYS_RP_NAME`` (default: ``SSO_SITE_NAME``)
    The name the browser's dialog shows.
``MFA_PASSKEYS_ORIGINS`` (default: empty)
    The exact origins (scheme, host and port) the browser may report in ``clientDataJSON``,
    e.g. ``["https://sso.example.com"]``. Empty means ``https://<RP ID>``, and, when the RP ID
    is ``localhost``, also the origin of the request itself (development on any port: browsers
    treat ``http://localhost`` as a secure context).
``MFA_PASSKEYS_CHALLENGE_SECONDS`` (default 300)
    How long a challenge may be answered (the issue: 5 minutes); also the browser's timeout.
``MFA_PASSKEYS_MAX_BODY_BYTES`` (default 65536)
    The largest JSON body the endpoints read. A "none"-attestation response is about 1 KB;
    a packed one with a certificate chain stays well under 16 KB.
"""

from django.conf import settings
from django.http import HttpRequest

LOCALHOST = "localhost"


def rp_id() -> str:
    return getattr(settings, "MFA_PASSKEYS_RP_ID", LOCALHOST) or LOCALHOST


def rp_name() -> str:
    return getattr(settings, "MFA_PASSKEYS_RP_NAME", "") or settings.SSO_SITE_NAME


def challenge_seconds() -> int:
    return int(getattr(settings, "MFA_PASSKEYS_CHALLENGE_SECONDS", 300))


def max_body_bytes() -> int:
    return int(getattr(settings, "MFA_PASSKEYS_MAX_BODY_BYTES", 64 * 1024))


def allowed_origins(request: HttpRequest) -> list[str]:
    """The origins a ``clientDataJSON`` may name (WebAuthn L3 §7.1 step 9, §7.2 step 13)."""
    configured = list(getattr(settings, "MFA_PASSKEYS_ORIGINS", []) or [])
    if configured:
        return configured
    origins = [f"https://{rp_id()}"]
    if rp_id() == LOCALHOST and request.get_host().split(":")[0] == LOCALHOST:
        origins.append(f"{request.scheme}://{request.get_host()}")
    return origins
