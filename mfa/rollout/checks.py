"""System checks for rollout policies that cannot work (design.md "Rolling MFA out").

A policy that requires a second factor but allows only factor kinds the portal has turned off
(MFA_CHALLENGE_METHODS) cannot be met: people under it are not held to enrolment (nobody is
locked out, mfa.rollout.policy rule 3) and this check warns. Policies live in the database, so
that check is tagged ``database``: ``manage.py migrate`` and ``manage.py check --database
default`` run it (and the MFA adoption admin page shows the same warnings); it says nothing
while the tables do not exist yet.
"""

import contextlib

from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, Warning, register
from django.db import DatabaseError

REQUIRED_FOR_VALUES = ("none", "staff", "all")


@register()
def check_required_for_setting(app_configs: object = None, **kwargs: object) -> list[CheckMessage]:
    """An error for an MFA_REQUIRED_FOR that is not none, staff or all."""
    if getattr(settings, "MFA_REQUIRED_FOR", "staff") in REQUIRED_FOR_VALUES:
        return []
    return [
        Error(
            f"MFA_REQUIRED_FOR is {settings.MFA_REQUIRED_FOR!r}; use none, staff or all.",
            id="mfa_rollout.E001",
        )
    ]


@register(Tags.database)
def check_rollout_policies(
    app_configs: object = None, databases: list[str] | None = None, **kwargs: object
) -> list[CheckMessage]:
    """Warnings for required policies nobody can meet (only when asked to read a database)."""
    if not databases:
        return []
    with contextlib.suppress(DatabaseError):  # not migrated yet: no policies to check
        return impossible_policies()
    return []


def impossible_policies() -> list[CheckMessage]:
    """A ``Warning`` for each policy that requires a factor but allows none that is on."""
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
