"""System checks of the OpenID Connect provider's settings."""

from urllib.parse import urlsplit

from django.conf import settings
from django.core.checks import Tags, Warning, register
from oauth2_provider.settings import oauth2_settings


@register(Tags.security)
def check_signing_key(app_configs, **kwargs) -> list[Warning]:
    """The provider cannot sign ID tokens without its RSA key."""
    if oauth2_settings.OIDC_RSA_PRIVATE_KEY:
        return []
    return [
        Warning(
            "No RSA signing key for OpenID Connect ID tokens.",
            hint="Set OIDC_RSA_PRIVATE_KEY or OIDC_RSA_PRIVATE_KEY_FILE "
            "(manage.py oidc_devkey creates a development key).",
            id="sso_oidc.W001",
        )
    ]


@register(Tags.security, deploy=True)
def check_issuer(app_configs, **kwargs) -> list[Warning]:
    """Production names its issuer: derived from the request, it follows the Host header, so
    the ``iss`` that apps check (OpenID Connect Core §3.1.3.7, RFC 9207) is only as firm as
    the proxy in front. RFC 8414 §2: an https URL without query or fragment."""
    if settings.DEBUG:
        return []
    issuer = oauth2_settings.OIDC_ISS_ENDPOINT
    if not issuer:
        return [
            Warning(
                "OIDC_ISSUER is not set: the OpenID Connect issuer follows the Host header.",
                hint="Set OIDC_ISSUER to the portal's public https URL, e.g. "
                "https://sso.example.go.id",
                id="sso_oidc.W002",
            )
        ]
    parts = urlsplit(issuer)
    if parts.scheme != "https" or not parts.netloc or parts.query or parts.fragment:
        return [
            Warning(
                f"OIDC_ISSUER {issuer!r} is not an https URL without query or fragment.",
                hint="RFC 8414 §2 and OpenID Connect Discovery §3 require one.",
                id="sso_oidc.W003",
            )
        ]
    return []
