"""``{% mfa_status user as status %}``: the person's MFA status for Home."""

from django import template
from django.utils import timezone

from mfa.rollout import policy as rollout_policy
from mfa.rollout.models import Level

register = template.Library()


@register.simple_tag
def mfa_status(user) -> dict:
    """``{"has_factor", "level", "deadline", "days"}`` for a signed-in ``user``; {} otherwise."""
    if not getattr(user, "is_authenticated", False):
        return {}
    if rollout_policy.has_second_factor(user):
        return {"has_factor": True}
    policy = rollout_policy.policy_for(user)
    if policy.level == Level.NONE:
        return {}
    return {
        "has_factor": False,
        "level": policy.level,
        "deadline": policy.deadline if policy.in_grace() else None,
        "days": policy.days_left(timezone.now()),
    }
