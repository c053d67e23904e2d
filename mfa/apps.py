from django.apps import AppConfig


class MfaConfig(AppConfig):
    name = "mfa"
    verbose_name = "Multi-factor authentication"

    def ready(self) -> None:
        from mfa import flows  # noqa: F401  (connects the password_changed receiver)
