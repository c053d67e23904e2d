from django.apps import AppConfig


class PasskeysConfig(AppConfig):
    name = "mfa.passkeys"
    label = "passkeys"
    verbose_name = "Passkeys"

    def ready(self) -> None:
        from mfa.passkeys import checks  # noqa: F401  (registers the system checks)
