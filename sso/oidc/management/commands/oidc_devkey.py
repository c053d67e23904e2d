"""Creates the development signing key for ID tokens if there is none (``make run``)."""

from django.conf import settings
from django.core.management.base import BaseCommand

from sso.oidc.keys import write_key_file


class Command(BaseCommand):
    # The key is what the checks would miss: do not warn about it while creating it.
    requires_system_checks: list[str] = []
    help = "Create an RSA key for signing ID tokens at OIDC_RSA_PRIVATE_KEY_FILE unless one exists."

    def handle(self, *args: object, **options: object) -> None:
        path = settings.SSO_OIDC_RSA_PRIVATE_KEY_FILE
        if settings.OAUTH2_PROVIDER.get("OIDC_RSA_PRIVATE_KEY") and not path.exists():
            self.stdout.write("OIDC_RSA_PRIVATE_KEY is set; no key file needed.")
            return
        if write_key_file(path):
            self.stdout.write(f"Created the OpenID Connect signing key {path}")
        else:
            self.stdout.write(f"OpenID Connect signing key: {path}")
