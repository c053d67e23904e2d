"""Holds a signed-in person to the rollout: the reminder page once, or enrolment first.

Run by ``accounts.middleware.AccountMiddleware`` before each view, after the URL is resolved,
so the pages that stay open are known by name, not by path.
"""

from django.http import HttpRequest, HttpResponse

from mfa.rollout import flows


def rollout_gate(request: HttpRequest) -> HttpResponse | None:
    """``mfa.rollout.flows.gate`` for a session under the rollout; None (nothing read but the
    session's mark) for every other."""
    if flows.SESSION_KEY not in request.session:
        return None
    return flows.gate(request)
