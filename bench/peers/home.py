"""The peers' Home: a signed-in page naming the user, as the portal's Home does."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.utils.html import format_html


@login_required
def home(request: HttpRequest) -> HttpResponse:
    return HttpResponse(
        format_html("<!doctype html><title>Home</title><p>Signed in as {}</p>", request.user)
    )
