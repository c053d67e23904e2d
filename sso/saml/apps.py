from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SamlConfig(AppConfig):
    name = "sso.saml"
    label = "saml"
    verbose_name = _("SAML 2.0")

    def ready(self) -> None:
        from accounts.signin.flows import CARRIED_ACROSS_SIGNIN
        from sso.saml import checks, signals  # noqa: F401  (registers checks and receivers)
        from sso.saml.names import PENDING_SESSION_KEY

        # The requests waiting for a (fresh) sign-in are answered, whoever signs in.
        CARRIED_ACROSS_SIGNIN.add(PENDING_SESSION_KEY)
