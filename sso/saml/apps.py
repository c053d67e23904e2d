from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SamlConfig(AppConfig):
    name = "sso.saml"
    label = "saml"
    verbose_name = _("SAML 2.0")

    def ready(self) -> None:
        from sso.saml import checks, signals  # noqa: F401  (registers checks and receivers)
