"""Creates the demo admin and demo user of ``make run`` and prints how to sign in."""

from django.core.management.base import BaseCommand

from accounts.models import User

DEMO_ACCOUNTS = [
    # username, password, full name, email, staff
    ("admin", "admin-demo-portal-2024", "Demo Admin", "admin@example.com", True),
    ("demo", "demo-user-portal-2024", "Demo User", "demo@example.com", False),
]


class Command(BaseCommand):
    help = "Create (or reset) the demo admin and demo user, and print their credentials."

    def handle(self, *args: object, **options: object) -> None:
        for username, password, full_name, email, staff in DEMO_ACCOUNTS:
            user, _ = User.objects.get_or_create(username=username)
            user.full_name = full_name
            user.email = email
            user.is_staff = user.is_superuser = staff
            user.is_active = True
            user.locked_until = None
            user.set_password(password)
            user.save()
            role = "admin" if staff else "user "
            self.stdout.write(f"Demo {role}: username {username!r}  password {password!r}")
