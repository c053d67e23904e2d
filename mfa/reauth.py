"""Fresh proof before sensitive changes (OWASP ASVS V6 / 2.5.5).

Adding or removing a factor, changing the code address or regenerating recovery codes asks
for the password (or a factor) again unless the user proved it in the last
``MFA_REAUTH_SECONDS`` (default 10 minutes). Sign-in itself counts as proof.
"""

import time
from collections.abc import Callable
from functools import wraps

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse

from accounts.signin.flows import AUTH_TIME_SESSION_KEY
from sso.next_param import url_with_next

REAUTH_TIME_SESSION_KEY = "mfa.reauth_time"


def mark_recent_auth(request: HttpRequest) -> None:
    request.session[REAUTH_TIME_SESSION_KEY] = int(time.time())


def recently_authenticated(request: HttpRequest) -> bool:
    proved_at = max(
        request.session.get(REAUTH_TIME_SESSION_KEY, 0),
        request.session.get(AUTH_TIME_SESSION_KEY, 0),
    )
    return time.time() - proved_at <= settings.MFA_REAUTH_SECONDS


def recent_auth_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Sends a user without a fresh proof to the re-authentication page, then back.

    Only POSTs change things; a GET shows the page so the user sees what they will confirm.
    """

    @wraps(view)
    def wrapped(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
        if request.method == "POST" and not recently_authenticated(request):
            back = request.get_full_path()
            return redirect(url_with_next(reverse("mfa:reauth"), back))
        return view(request, *args, **kwargs)

    return wrapped
