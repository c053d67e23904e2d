"""Creates the development SAML signing key and certificate if there are none (``make run``)."""

from django.conf import settings
from django.core.management.base import BaseCommand

from sso.saml.keys import write_key_files


class Command(BaseCommand):
    requires_system_checks: list[str] = []
    help = "Create an RSA key and self-signed certificate for signing SAML assertions."

    def handle(self, *args: object, **options: object) -> None:
        key, cert = settings.SSO_SAML_SIGNING_KEY_FILE, settings.SSO_SAML_SIGNING_CERT_FILE
        if write_key_files(key, cert, settings.SSO_SITE_NAME):
            self.stdout.write(f"Created the SAML signing key {key} and certificate {cert}")
        else:
            self.stdout.write(f"SAML signing key: {key}")
