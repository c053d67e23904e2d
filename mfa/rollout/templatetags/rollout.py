"""``{% mfa_status as status %}``: the signed-in person's MFA status, for Home."""

from django import template
from django.utils import timezone

from accounts.signin.flows import AUTH_METHODS_SESSION_KEY
from mfa.rollout import policy as rollout_policy
from mfa.rollout.models import Level

register = template.Library()

# RFC 8176 values that only a second factor puts in a session (mfa.flows, sso.oidc.claims).
_SECOND_FACTOR_AMR = frozenset({"otp", "sms", "hwk"})


@register.simple_tag(takes_context=True)
def mfa_status(context) -> dict:  # type: ignore[no-untyped-def]
    """``{"has_factor", "level", "deadline", "days"}`` for the signed-in user; {} otherwise.

    A session that was signed in with a second factor proves the person has one: no query.
    """
    request = context.get("request")
    user = getattr(request, "user", None)
    if not getattr(user, "is_authenticated", False):
        return {}
    methods = set(request.session.get(AUTH_METHODS_SESSION_KEY) or ())
    if methods & _SECOND_FACTOR_AMR or rollout_policy.has_second_factor(user):
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
