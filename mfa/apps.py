from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _
from django_otp.plugins.otp_totp.apps import DefaultConfig as OtpTotpConfig


class MfaConfig(AppConfig):
    name = "mfa"
    verbose_name = "Multi-factor authentication"

    def ready(self) -> None:
        from mfa import flows  # noqa: F401  (connects the password_changed receiver)


class AuthenticatorAppsConfig(OtpTotpConfig):
    """django-otp's TOTP devices, named for admins as people call them (not "Otp_Totp")."""

    verbose_name = _("Authenticator apps")
