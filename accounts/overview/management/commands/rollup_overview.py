from django.core.management.base import BaseCommand

from accounts.overview.rollup import roll_up


class Command(BaseCommand):
    help = "Rolls the audit trail's complete hours (up to 32 days back) into the Overview's counts."

    def handle(self, *args: object, **options: object) -> None:
        rows = roll_up()
        self.stdout.write(f"{rows} hourly counts written")
