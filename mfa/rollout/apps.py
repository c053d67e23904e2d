from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RolloutConfig(AppConfig):
    name = "mfa.rollout"
    label = "mfa_rollout"
    verbose_name = _("MFA rollout")

    def ready(self) -> None:
        from mfa.rollout import checks  # noqa: F401  (registers the system checks)
