"""The test app's pages: djangosaml2's endpoints, and a page saying who signed in and how."""

import html

from django.http import HttpRequest, HttpResponse
from django.urls import include, path
from djangosaml2 import views

AUTHN_CONTEXT_SESSION_KEY = "sp.authn_context"


class AssertionConsumerService(views.AssertionConsumerServiceView):
    """djangosaml2's ACS, keeping the assertion's AuthnContextClassRef for the page."""

    def post_login_hook(self, request: HttpRequest, user, session_info: dict) -> None:
        contexts = [info[0] for info in session_info.get("authn_info") or []]
        request.session[AUTHN_CONTEXT_SESSION_KEY] = " ".join(contexts)


def home(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        body = '<p><a href="/saml2/login/">Sign in with the SSO portal</a></p>'
    else:
        user = request.user
        rows = [
            ("username", user.username),
            ("email", user.email),
            ("name", user.first_name),
            ("AuthnContext", request.session.get(AUTHN_CONTEXT_SESSION_KEY, "")),
        ]
        table = "".join(
            f"<tr><th>{html.escape(k)}</th><td>{html.escape(v)}</td></tr>" for k, v in rows
        )
        body = (
            f"<p>Signed in.</p><table>{table}</table><p><a href='/saml2/logout/'>Sign out</a></p>"
        )
    return HttpResponse(
        f"<!doctype html><title>djangosaml2 app</title><h1>djangosaml2 app</h1>{body}"
    )


def signed_out(request: HttpRequest) -> HttpResponse:
    return HttpResponse("<!doctype html><title>djangosaml2 app</title><p>Signed out.</p>")


urlpatterns = [
    path("signed-out/", signed_out),
    path("saml2/acs/", AssertionConsumerService.as_view(), name="saml2_acs"),
    path("saml2/", include("djangosaml2.urls")),
    path("", home),
]
