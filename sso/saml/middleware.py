"""Leads the browser through Single Logout after any sign-out that ended SAML sessions.

Run on every response by ``accounts.middleware.AccountMiddleware`` (inside the session
middleware, so the chain it begins is saved with the session).
"""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from sso.saml.names import INITIATOR_ATTRIBUTE, QUEUE_ATTRIBUTE


def chain_single_logout(request: HttpRequest, response: HttpResponse) -> HttpResponse:
    """After a response that signed the user out (the portal's Sign Out, an OIDC app's logout,
    another account's fresh sign-in) and ended SAML sessions with a logout endpoint: keep where
    that response was going, and send the browser to each service provider first (front-channel,
    SAML Profiles §4.4.3). A response that is not a redirect is left alone: its SAML sessions
    are ended on the portal's side all the same. Any other response is returned as it is.
    """
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
