from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _
from django_otp.plugins.otp_totp.apps import DefaultConfig as OtpTotpConfig


class MfaConfig(AppConfig):
    # The app's config for "mfa" in INSTALLED_APPS: with a second config in this module Django
    # picks none by itself, and ``ready`` would never run.
    default = True
    name = "mfa"
    verbose_name = _("Multi-factor authentication")

    def ready(self) -> None:
        from accounts.signin.flows import HALF_DONE_SIGNIN
        from mfa import checks, flows  # noqa: F401  (registers the checks, connects receivers)
        from mfa.challenge.pending import PENDING_SESSION_KEY

        HALF_DONE_SIGNIN.add(PENDING_SESSION_KEY)  # "Not you?" ends the challenge too


class AuthenticatorAppsConfig(OtpTotpConfig):
    """django-otp's TOTP devices, named for admins as people call them (not "Otp_Totp")."""

    verbose_name = _("Authenticator apps")
