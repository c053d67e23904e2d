"""System checks: the provider cannot sign ID tokens without its RSA key."""

from django.core.checks import Tags, Warning, register
from oauth2_provider.settings import oauth2_settings


@register(Tags.security)
def check_signing_key(app_configs, **kwargs) -> list[Warning]:
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
