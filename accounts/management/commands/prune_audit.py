"""Deletes audit events older than ACCOUNTS_AUDIT_RETENTION_DAYS (also run daily by beat)."""

from django.core.management.base import BaseCommand

from accounts.audit import prune


class Command(BaseCommand):
    help = "Delete audit events past the retention age (ACCOUNTS_AUDIT_RETENTION_DAYS)."

    def handle(self, *args: object, **options: object) -> None:
        self.stdout.write(f"{prune()} audit events deleted.")
