from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OidcConfig(AppConfig):
    name = "sso.oidc"
    label = "oidc"
    verbose_name = _("OpenID Connect")

    def ready(self) -> None:
        from accounts.signin.flows import CARRIED_ACROSS_SIGNIN
        from sso.oidc import checks, signals  # noqa: F401  (registers checks and receivers)
        from sso.oidc.flows import FRESH_SIGN_IN_SESSION_KEY

        # The authorize requests waiting for a fresh sign-in find it met, whoever signs in.
        CARRIED_ACROSS_SIGNIN.add(FRESH_SIGN_IN_SESSION_KEY)
