from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Accounts"

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from accounts import checks, language, sessions  # noqa: F401  (checks; sign-in receivers)
        from accounts.groups import ensure_helpdesk_group
        from accounts.home import applications as home_applications
        from accounts.middleware import page_gates
        from sso import checks as _portal_checks  # noqa: F401  (portal-wide system checks)
        from sso.in_place import PAGE_GATES

        post_migrate.connect(ensure_helpdesk_group, sender=self)
        _replace_update_last_login()
        home_applications.connect()  # Home's cached list drops when an app changes
        if page_gates not in PAGE_GATES:  # pages shown in place meet the gates too
            PAGE_GATES.append(page_gates)


def _replace_update_last_login() -> None:
    """``last_login`` is written with a sign-in's other rows in one statement
    (accounts.signin.flows.note_last_login), not by Django's receiver's own ``save``. Under
    Django's dispatch_uid, so that whichever app is ready first, one of them is connected."""
    from django.contrib.auth.models import update_last_login
    from django.contrib.auth.signals import user_logged_in

    from accounts.signin.flows import note_last_login

    user_logged_in.disconnect(update_last_login, dispatch_uid="update_last_login")
    user_logged_in.connect(note_last_login, dispatch_uid="update_last_login")
