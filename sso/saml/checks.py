"""System checks: the IdP cannot sign without its key and certificate, nor without xmlsec1."""

import shutil

from django.conf import settings
from django.core.checks import Tags, Warning, register


@register(Tags.security)
def check_signing_key(app_configs, **kwargs) -> list[Warning]:
    problems = []
    for path in (settings.SSO_SAML_SIGNING_KEY_FILE, settings.SSO_SAML_SIGNING_CERT_FILE):
        if not path.is_file():
            problems.append(
                Warning(
                    f"No SAML signing key or certificate at {path}.",
                    hint="Set SAML_SIGNING_KEY_FILE and SAML_SIGNING_CERT_FILE "
                    "(manage.py saml_devkey creates a development pair).",
                    id="sso_saml.W001",
                )
            )
    if not shutil.which(settings.SSO_SAML_XMLSEC_BINARY):
        problems.append(
            Warning(
                f"xmlsec1 not found at {settings.SSO_SAML_XMLSEC_BINARY}: SAML cannot sign.",
                hint="apt-get install xmlsec1, or set SAML_XMLSEC_BINARY.",
                id="sso_saml.W002",
            )
        )
    return problems


@register(Tags.security, deploy=True)
def check_entity_id(app_configs, **kwargs) -> list[Warning]:
    """Service providers pin the IdP's entity ID: in production it must not follow the Host."""
    if settings.SSO_SAML_ENTITY_ID:
        return []
    return [
        Warning(
            "SAML_ENTITY_ID is not set: the SAML entity ID follows the Host header.",
            hint="Set SAML_ENTITY_ID, e.g. https://sso.example.go.id/saml/metadata/",
            id="sso_saml.W003",
        )
    ]
