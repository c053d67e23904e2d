from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProvisioningConfig(AppConfig):
    """SCIM 2.0 provisioning from systems of record (RFC 7643/7644) at /scim/v2/."""

    name = "accounts.provisioning"
    # The label it had as a top-level app: migrations and table names stay as they are.
    label = "provisioning"
    verbose_name = _("Provisioning (SCIM)")
    default_auto_field = "django.db.models.BigAutoField"
