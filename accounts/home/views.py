"""Home SSO: the page a signed-in user lands on."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from accounts.home.applications import applications_for
from sso.in_place import in_place_step


@in_place_step
@never_cache
@login_required
@require_http_methods(["GET"])
def home(request: HttpRequest) -> HttpResponse:
    """Home SSO: who is signed in and the applications they can open (kept in the cache
    until an app changes, accounts.home.applications). Also the answer to the sign-in's last
    step, shown in place (sso.in_place)."""
    return render(request, "accounts/home.html", {"applications": applications_for(request.user)})
