"""Holds a signed-in person to the rollout: the reminder page once, or enrolment first."""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from mfa.rollout import flows


class RolloutMiddleware:
    """Runs ``mfa.rollout.flows.gate`` before each view (after the URL is resolved, so the
    pages that stay open are known by name, not by path)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view_func: Callable, args: tuple, kwargs: dict
    ) -> HttpResponse | None:
        if not hasattr(request, "session") or flows.SESSION_KEY not in request.session:
            return None
        return flows.gate(request)
