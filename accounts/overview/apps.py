from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OverviewConfig(AppConfig):
    """The admins' Overview: charts of sign-ins, failures and factor use from the audit trail."""

    name = "accounts.overview"
    label = "overview"
    verbose_name = _("Overview")
    default_auto_field = "django.db.models.BigAutoField"
