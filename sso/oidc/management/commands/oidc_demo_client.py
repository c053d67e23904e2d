"""Registers the demo relying app of ``examples/relying_app`` (``make demo-rp``)."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from sso.oidc.models import Application

DEMO_CLIENT_ID = "demo-rp"
# A development-only secret: the command refuses to run without DEBUG.
DEMO_CLIENT_SECRET = "demo-rp-secret-for-development-only"  # noqa: S105


class Command(BaseCommand):
    help = "Register (or update) the demo relying app of examples/relying_app. DEBUG only."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--rp-url", default="http://localhost:8001")
        parser.add_argument("--client-id", default=DEMO_CLIENT_ID)
        parser.add_argument("--client-secret", default=DEMO_CLIENT_SECRET)

    def handle(self, *args: object, **options) -> None:
        if not settings.DEBUG:
            raise CommandError(
                "The demo app has a well-known secret: run this with DEBUG=true only."
            )
        rp = options["rp_url"].rstrip("/")
        app, created = Application.objects.update_or_create(
            client_id=options["client_id"],
            defaults={
                "name": "Demo relying app",
                "client_type": Application.CLIENT_CONFIDENTIAL,
                "client_secret": options["client_secret"],
                "authorization_grant_type": Application.GRANT_AUTHORIZATION_CODE,
                "algorithm": Application.RS256_ALGORITHM,
                "redirect_uris": f"{rp}/callback",
                "post_logout_redirect_uris": f"{rp}/signed-out",
                "backchannel_logout_uri": f"{rp}/backchannel-logout",
                "launch_url": f"{rp}/",
                "skip_authorization": True,
            },
        )
        verb = "Registered" if created else "Updated"
        self.stdout.write(f"{verb} the demo relying app {app.client_id!r} at {rp}/")
