from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RolloutConfig(AppConfig):
    name = "mfa.rollout"
    label = "mfa_rollout"
    verbose_name = _("MFA rollout")

    def ready(self) -> None:
        from accounts.signin.flows import CARRIED_ACROSS_SIGNIN
        from mfa.rollout import checks  # noqa: F401  (registers the system checks)
        from mfa.rollout.flows import SESSION_KEY

        # The mark the password step wrote for the person signing in is theirs, also when
        # their sign-in replaces someone else's session (a fresh sign-in, prompt=login).
        CARRIED_ACROSS_SIGNIN.add(SESSION_KEY)
