"""Template context of the rollout: the session's mark only (no database query)."""

from django.http import HttpRequest

from mfa.rollout import flows


def rollout(request: HttpRequest) -> dict[str, str]:
    """``rollout_state``: "", or the rollout mark of this session (see mfa.rollout.flows)."""
    session = getattr(request, "session", None)
    if session is None or flows.SESSION_KEY not in session:
        return {"rollout_state": ""}
    data = flows.state(request) or {}
    return {"rollout_state": data.get("state", "")}
