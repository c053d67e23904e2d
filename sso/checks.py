"""System checks for the portal-wide settings (sso/settings.py)."""

from urllib.parse import urlsplit

from django.core.checks import CheckMessage, Tags, Warning, register


@register(Tags.security, deploy=True)
def check_base_url(app_configs: object = None, **kwargs: object) -> list[CheckMessage]:
    """Mails link to ``SSO_BASE_URL``: in production it must be the portal's https address."""
    from django.conf import settings

    parts = urlsplit(settings.SSO_BASE_URL)
    if parts.scheme == "https" and parts.hostname not in (None, "localhost"):
        return []
    return [
        Warning(
            f"SSO_BASE_URL is {settings.SSO_BASE_URL!r}: links in mails would not reach the "
            "portal. Set it to the address people open, e.g. https://sso.example.go.id.",
            id="sso.W001",
        )
    ]
