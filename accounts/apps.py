from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Accounts"

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from accounts import checks, language, sessions  # noqa: F401  (checks; sign-in receivers)
        from accounts.groups import ensure_helpdesk_group
        from accounts.home import applications as home_applications
        from sso import checks as _portal_checks  # noqa: F401  (portal-wide system checks)

        post_migrate.connect(ensure_helpdesk_group, sender=self)
        home_applications.connect()  # Home's cached list drops when an app changes
