from django.apps import AppConfig


class PasskeysConfig(AppConfig):
    name = "mfa.passkeys"
    label = "passkeys"
    verbose_name = "Passkeys"
