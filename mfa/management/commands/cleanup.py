"""Deletes expired sessions, code challenges, passkey challenges and trusted devices (also run
hourly by Celery beat: CELERY_BEAT_SCHEDULE["mfa-cleanup"])."""

from django.core.management.base import BaseCommand

from mfa.cleanup import clear_expired


class Command(BaseCommand):
    help = "Delete expired sessions, code challenges, passkey challenges and trusted devices."

    def handle(self, *args: object, **options: object) -> None:
        cleaned = clear_expired()
        self.stdout.write(
            f"{cleaned.code_challenges} code challenges, {cleaned.passkey_challenges} passkey "
            f"challenges, {cleaned.trusted_devices} trusted devices deleted; expired sessions "
            + ("cleared." if cleaned.sessions_cleared else "expire by themselves (cache).")
        )
