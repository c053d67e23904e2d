"""Leads the browser through Single Logout after any sign-out that ended SAML sessions."""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from sso.saml.names import INITIATOR_ATTRIBUTE, QUEUE_ATTRIBUTE


class SingleLogoutMiddleware:
    """After a response that signed the user out (the portal's Sign Out, an OIDC app's logout,
    another account's fresh sign-in) and ended SAML sessions with a logout endpoint: keep where
    that response was going, and send the browser to each service provider first (front-channel,
    SAML Profiles §4.4.3). A response that is not a redirect is left alone: its SAML sessions
    are ended on the portal's side all the same.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        queue = getattr(request, QUEUE_ATTRIBUTE, None)
        if not queue or getattr(request, INITIATOR_ATTRIBUTE, None):
            return response
        if not (300 <= response.status_code < 400) or not response.get("Location"):
            return response
        from sso.saml import logout  # pysaml2: only where a chain begins

        logout.begin_chain(request, queue, then=response["Location"])
        chained = redirect("saml:slo_next")
        for cookie in response.cookies.values():  # e.g. the language or trust cookie
            chained.cookies[cookie.key] = cookie
        return chained
