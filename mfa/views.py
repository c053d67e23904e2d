"""Security Settings pages."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods


@never_cache
@login_required
@require_http_methods(["GET"])
def security_settings(request: HttpRequest) -> HttpResponse:
    """Security Settings, reached from the user menu (seeds/000 §4.1 step 6)."""
    return render(request, "mfa/security_settings.html")
