"""No request another site can make ends, or replaces, the portal session of the person.

Any page on the web can make a browser GET any URL of the portal, with any query, and POST a
form to it; the portal's session cookie (SameSite=Lax) rides along on the GETs and on the
redirects that follow. What may sign someone out is a form the portal itself showed (its CSRF
token), or a message the app signed (a SAML LogoutRequest, an OpenID Connect ``id_token_hint``
naming this very session). Every URL pattern, read from the URL configuration as the URL
walker does (a pattern added later is walked too), gets from a signed-in staff member with a
second factor: a plain GET, a GET with the parameters that ask for a fresh sign-in or a
logout (``prompt=login``, ``max_age=0``, ``post_logout_redirect_uri``...), and a form POST
without the CSRF token; the portal's own redirects are followed. The session must go on: the
same key, the same person.
"""

from urllib.parse import urlencode, urlsplit

import pytest
from django.conf import settings

from tests.input.test_url_walker import (  # noqa: F401 (world: the walker's accounts and app)
    BROWSER_ACCEPT,
    _object_ids,
    _visitor,
    all_routes,
    concrete_paths,
    idp_keys,
    make_app,
    oidc_provider_settings,
    rsa_private_key,
    world,
)
from tests.oidc.conftest import REDIRECT_URI

ASKING = {
    "response_type": "code",
    "scope": "openid",
    "redirect_uri": REDIRECT_URI,
    "code_challenge": "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
    "code_challenge_method": "S256",
    "state": "s",
    "nonce": "n",
    "prompt": "login",
    "max_age": "0",
    "post_logout_redirect_uri": REDIRECT_URI,
    "next": "/",
}


def _follow(client, response, limit: int = 10):
    """The portal's own redirects, as the browser follows them (with the session cookie)."""
    for _ in range(limit):
        location = response.get("Location") if 300 <= response.status_code < 400 else None
        if not location or urlsplit(location).netloc:
            break
        response = client.get(location, HTTP_ACCEPT=BROWSER_ACCEPT)
    return response


def _signed_in(world, password):  # noqa: F811 (the imported fixture)
    from django_otp.plugins.otp_totp.models import TOTPDevice

    TOTPDevice.objects.update(last_t=-1)  # the same code again, for a new sign-in
    client = _visitor("staff", world, password)
    client.handler.enforce_csrf_checks = True  # as a form from another site arrives
    return client


@pytest.mark.django_db(transaction=True)
def test_no_cross_site_request_ends_the_session(world, password):  # noqa: F811
    client = _signed_in(world, password)
    person = str(world["users"]["root"].pk)
    key = client.session.session_key
    query = urlencode({**ASKING, "client_id": world["app"].client_id})
    ended = []
    for route in all_routes():
        for path in concrete_paths(route, _object_ids(world))[:1] + concrete_paths(route, ["1"]):
            for method, url in [("GET", path), ("GET", f"{path}?{query}"), ("POST", path)]:
                if method == "GET":
                    response = client.get(url, HTTP_ACCEPT=BROWSER_ACCEPT)
                else:
                    response = client.post(url, {"allow": "on", "confirm": "1"})
                _follow(client, response)
                session = client.session
                if session.session_key != key or session.get("_auth_user_id") != person:
                    ended.append(f"{method} {url}")
                    client = _signed_in(world, password)
                    key = client.session.session_key
    assert not ended, "\n".join(ended)
    assert settings.SESSION_COOKIE_SAMESITE == "Lax"
