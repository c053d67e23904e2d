"""System checks for rollout policies that cannot work (design.md "Rolling MFA out").

A policy that requires a second factor but allows only factor kinds the portal has turned off
(MFA_CHALLENGE_METHODS) cannot be met: people under it are not held to enrolment (nobody is
locked out, mfa.rollout.policy rule 3) and this check warns. Policies live in the database, so
the check reads it, and says nothing while the tables do not exist yet (before migrate).
"""

import contextlib

from django.conf import settings
from django.core.checks import CheckMessage, Error, Warning, register
from django.db import DatabaseError

REQUIRED_FOR_VALUES = ("none", "staff", "all")


@register()
def check_rollout_policies(app_configs: object = None, **kwargs: object) -> list[CheckMessage]:
    """Errors for a bad MFA_REQUIRED_FOR; warnings for required policies nobody can meet."""
    messages: list[CheckMessage] = []
    if getattr(settings, "MFA_REQUIRED_FOR", "staff") not in REQUIRED_FOR_VALUES:
        messages.append(
            Error(
                f"MFA_REQUIRED_FOR is {settings.MFA_REQUIRED_FOR!r}; use none, staff or all.",
                id="mfa_rollout.E001",
            )
        )
    with contextlib.suppress(DatabaseError):  # not migrated yet: no policies to check
        messages += _impossible_policies()
    return messages


def _impossible_policies() -> list[CheckMessage]:
    from mfa.rollout.models import GroupPolicy, Level, OverallPolicy
    from mfa.rollout.policy import enabled_factors

    enabled = set(enabled_factors())
    found = []
    policies = [*OverallPolicy.objects.all(), *GroupPolicy.objects.select_related("group")]
    for policy in policies:
        levels = {policy.level, getattr(policy, "staff_level", Level.NONE)}
        if Level.REQUIRED in levels and not set(policy.allowed_factors()) & enabled:
            found.append(
                Warning(
                    f"The MFA policy {policy} requires a second factor but allows none of the "
                    f"factor kinds that are turned on ({', '.join(sorted(enabled)) or 'none'}).",
                    hint="Allow one of them in Django admin (MFA rollout), or turn one on in "
                    "MFA_CHALLENGE_METHODS. Until then nobody is held to enrolment by it.",
                    id="mfa_rollout.W001",
                )
            )
    return found
