from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OidcConfig(AppConfig):
    name = "sso.oidc"
    label = "oidc"
    verbose_name = _("OpenID Connect")

    def ready(self) -> None:
        from sso.oidc import checks, signals  # noqa: F401  (registers checks and receivers)
