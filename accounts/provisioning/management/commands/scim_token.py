"""``manage.py scim_token NAME``: a new bearer token for provisioning client NAME, printed once."""

from django.core.management.base import BaseCommand

from accounts.provisioning.models import ProvisioningClient
from accounts.provisioning.tokens import issue_token


class Command(BaseCommand):
    help = (
        "Prints a new SCIM bearer token for the provisioning client NAME (created if missing). "
        "The previous token of that client stops working. The token is shown only this once."
    )

    def add_arguments(self, parser):  # type: ignore[no-untyped-def]
        parser.add_argument("name", help="the provisioning client's name")
        parser.add_argument(
            "--requests-per-minute",
            type=int,
            help="also set the client's rate limit (calls per minute)",
        )

    def handle(
        self, *args: object, name: str, requests_per_minute: int | None = None, **options: object
    ) -> None:
        client, created = ProvisioningClient.objects.get_or_create(name=name)
        if requests_per_minute is not None:
            client.requests_per_minute = max(1, requests_per_minute)
            client.save(update_fields=["requests_per_minute"])
        token = issue_token(client)
        if created:
            self.stderr.write(f"Created provisioning client {name!r}.")
        self.stdout.write(token)
