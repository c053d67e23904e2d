"""Account rules that hold on every page, in one middleware after authentication.

One layer instead of five (each layer of Django's stack costs a call and an exception wrapper
per request), and each rule skips its work when it cannot apply: the gates only read the
session of a signed-in person, and the response is touched only when a view asked for it.
"""

from collections.abc import Callable

from django.contrib import messages
from django.contrib.auth import SESSION_KEY, logout
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse

from accounts.devices import set_device_cookie
from accounts.language import set_language_cookie
from accounts.models import deleted_meanwhile
from accounts.signin.flows import signin_expired_message
from mfa.rollout.middleware import rollout_gate
from sso.request_input import speaks_json
from sso.saml.middleware import chain_single_logout

# Pages a user who must change their password may still open.
_ALLOWED_PREFIXES = ("/accounts/password/change/", "/accounts/logout/", "/static/", "/i18n/")


def password_change_gate(request: HttpRequest) -> HttpResponse | None:
    """An admin asked for a new password: every page leads to the password change first."""
    user = request.user
    if (
        user.is_authenticated
        and getattr(user, "must_change_password", False)
        and not request.path.startswith(_ALLOWED_PREFIXES)
    ):
        return redirect(reverse("accounts:password_change"))
    return None


def page_gates(request: HttpRequest) -> HttpResponse | None:
    """Both gates at once, for a page shown in place of a redirect to it (sso.in_place), whose
    request the middleware never sees: None to go on, or the redirect that answers instead."""
    if SESSION_KEY in request.session:
        refused = password_change_gate(request)
        if refused is not None:
            return refused
    return rollout_gate(request)


class AccountMiddleware:
    """In order: the password-change gate (before the view), the MFA rollout's gate (once the
    URL is resolved, so the pages that stay open are known by name), then on the way out the
    Single Logout chain after a sign-out (sso/saml/middleware.py), the language cookie
    (accounts/language.py) and the device cookie (accounts/devices.py). A request that failed
    because its own account was deleted meanwhile is signed out (``process_exception``).

    Placed after ``AuthenticationMiddleware`` and ``MessageMiddleware``; before a signed-in
    session exists (the username, password and challenge steps) neither gate reads the user.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if SESSION_KEY in request.session:  # else request.user is anonymous: no query for it
            refused = password_change_gate(request)
            if refused is not None:
                return refused
        response = self.get_response(request)
        response = chain_single_logout(request, response)
        set_language_cookie(request, response)
        set_device_cookie(request, response)
        return response

    def process_view(
        self, request: HttpRequest, view_func: Callable, args: tuple, kwargs: dict
    ) -> HttpResponse | None:
        return rollout_gate(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        """A signed-in person whose account was deleted during their request, which then
        failed to write for it: a change to the account (``AccountDeleted``) or a new row
        referring to it (``IntegrityError``: an authenticator app being set up, a factor
        added). The session is ended and they are told as when a sign-in expires, on the
        username page (a client that speaks JSON gets a 401 naming it). None for any other
        exception, or another account's (``AccountDeleted`` is then a 404)."""
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or not deleted_meanwhile(user, exception):
            return None
        logout(request)
        message = signin_expired_message()
        messages.error(request, message)  # shown on the username page, where both lead
        if speaks_json(request):  # a script's step (passkeys.js goes to the answer's redirect)
            answer = {
                "error": "signed_out",
                "message": message,
                "redirect": reverse("accounts:login"),
            }
            return JsonResponse(answer, status=401)
        return redirect("accounts:login")
