"""What an independent client (Authlib) sees of the authorize endpoint: RFC 9207 ``iss`` on
every authorization response, errors included; only what discovery says is supported; the
redirect URI named and matched exactly."""

import re
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from authlib.oauth2.rfc6749.parameters import parse_authorization_code_response
from authlib.oauth2.rfc9207 import AuthorizationServerMetadata as IssMetadata
from authlib.oidc.discovery import OpenIDProviderMetadata

from sso.oidc.models import SignInContext
from tests.conftest import led_to
from tests.oidc.conftest import REDIRECT_URI
from tests.oidc.relying_party import RelyingParty

pytestmark = pytest.mark.django_db(transaction=True)


def callback_query(response: requests.Response) -> dict[str, str]:
    """The parameters the app receives at its redirect URI (exactly one value each)."""
    assert response.status_code == 302, response.text[:300]
    location = response.headers["Location"]
    assert location.startswith(REDIRECT_URI + "?"), location
    query = parse_qs(urlsplit(location).query)
    assert all(len(values) == 1 for values in query.values()), query
    return {name: values[0] for name, values in query.items()}


def sign_in(browser, user, password) -> None:
    assert led_to(browser.sign_in(user.username, password)) == "/"


def test_discovery_is_valid_provider_metadata_and_says_what_is_supported(live_server):
    rp = RelyingParty(live_server.url)
    metadata = OpenIDProviderMetadata(rp.metadata)
    metadata.validate(metadata_classes=[IssMetadata])
    assert metadata["authorization_response_iss_parameter_supported"] is True
    # Omitted, request_uri_parameter_supported would mean true (Discovery 1.0 §3).
    assert metadata["request_uri_parameter_supported"] is False
    assert metadata["request_parameter_supported"] is False
    assert metadata["grant_types_supported"] == ["authorization_code", "refresh_token"]
    assert metadata["response_types_supported"] == ["code"]


def test_a_code_names_the_issuer(browser, live_server, relying_app, user, password):
    rp = RelyingParty(live_server.url)
    sign_in(browser, user, password)
    response = browser.get(rp.authorization_url(state="s-1"))
    query = callback_query(response)
    assert query["iss"] == rp.metadata["issuer"]
    assert parse_authorization_code_response(response.headers["Location"], state="s-1")["code"]


def test_login_required_names_the_issuer(browser, live_server, relying_app):
    rp = RelyingParty(live_server.url)
    query = callback_query(browser.get(rp.authorization_url(state="s-1", prompt="none")))
    assert query == {"error": "login_required", "state": "s-1", "iss": rp.metadata["issuer"]}


def test_consent_required_names_the_issuer(browser, live_server, make_app, user, password):
    make_app(skip_authorization=False)
    rp = RelyingParty(live_server.url)
    sign_in(browser, user, password)
    query = callback_query(browser.get(rp.authorization_url(state="s-1", prompt="none")))
    assert query == {"error": "consent_required", "state": "s-1", "iss": rp.metadata["issuer"]}


def test_cancel_on_consent_answers_access_denied_with_the_issuer(
    browser, live_server, make_app, user, password
):
    make_app(skip_authorization=False)
    rp = RelyingParty(live_server.url)
    sign_in(browser, user, password)
    page = browser.get(rp.authorization_url(state="s-1"))
    assert page.status_code == 200
    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page.text))
    # Cancel: the form without "allow".
    response = browser.session.post(
        f"{live_server.url}/o/authorize/",
        data=fields,
        allow_redirects=False,
        headers={"Referer": page.url},
        timeout=10,
    )
    query = callback_query(response)
    assert query == {"error": "access_denied", "state": "s-1", "iss": rp.metadata["issuer"]}
    assert not SignInContext.objects.exists()


@pytest.mark.parametrize(
    ("params", "error"),
    [
        ({"max_age": "soon"}, "invalid_request"),
        ({"max_age": "-5"}, "invalid_request"),
        ({"request_uri": "https://rp.example.test/request.jwt"}, "request_uri_not_supported"),
        ({"request": "eyJhbGciOiJub25lIn0.e30."}, "request_not_supported"),
        ({"code_challenge_method": "plain"}, "invalid_request"),
    ],
)
def test_refused_requests_name_the_issuer(
    browser, live_server, relying_app, user, password, params, error
):
    rp = RelyingParty(live_server.url)
    sign_in(browser, user, password)
    url = rp.authorization_url(state="s-1")
    if params.get("code_challenge_method") == "plain":
        url = url.replace("code_challenge_method=S256", "code_challenge_method=plain")
        params = {}
    query = callback_query(browser.get(url, params=params))
    assert query["error"] == error
    assert query["state"] == "s-1"
    assert query["iss"] == rp.metadata["issuer"]
    assert "code" not in query
    assert not SignInContext.objects.exists()


def test_redirect_uri_is_required(browser, live_server, relying_app, user, password):
    """OpenID Connect Core §3.1.2.1: REQUIRED, even when the app registered only one."""
    rp = RelyingParty(live_server.url)
    sign_in(browser, user, password)
    url = rp.authorization_url()
    without = re.sub(r"&redirect_uri=[^&]*", "", url)
    assert "redirect_uri" not in without
    response = browser.get(without)
    assert response.status_code == 400  # a page for the person, no redirect anywhere
    assert "Location" not in response.headers
    assert not SignInContext.objects.exists()


@pytest.mark.parametrize(
    "variant",
    [
        "http://RP.example.test/callback",
        "HTTP://rp.example.test/callback",
        "http://rp.example.test:80/callback",
        "http://rp.example.test/%63allback",
        "http://rp.example.test/callback/",
        "http://rp.example.test/callback?",
        "http://rp.example.test/callback#",
    ],
)
def test_redirect_uri_is_compared_as_an_exact_string(
    browser, live_server, relying_app, user, password, variant
):
    rp = RelyingParty(live_server.url)
    rp.client.redirect_uri = variant
    sign_in(browser, user, password)
    response = browser.get(rp.authorization_url())
    assert response.status_code == 400
    assert "not registered for it" in response.text
    assert not SignInContext.objects.exists()
