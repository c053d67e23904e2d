"""The issuer (``iss``) worked out by sso/oidc/flows.oidc_issuer is DOT's, for the browser's
authorize request and for the app's token request alike: only the URL reversal of the
discovery path is done once per URL configuration and script prefix."""

from urllib.parse import urlsplit

import pytest
from django.core.exceptions import DisallowedHost
from django.test import RequestFactory, override_settings
from django.urls import clear_script_prefix, set_script_prefix
from oauth2_provider.settings import oauth2_settings
from oauthlib.common import Request as OAuthlibRequest

from sso.oidc import flows
from tests.conftest import sign_in
from tests.oidc.conftest import REDIRECT_URI
from tests.oidc.helpers import basic_auth, get_code, unverified_claims

HOSTS = ["localhost", "127.0.0.1:8000", "sso.example.test", "[::1]"]


def _oauthlib_request(django_request) -> OAuthlibRequest:
    """The oauthlib request DOT hands the validator (its headers are the request's META)."""
    core = oauth2_settings.OAUTH2_BACKEND_CLASS.__new__(oauth2_settings.OAUTH2_BACKEND_CLASS)
    uri, method, body, headers = core._extract_params(django_request)
    return OAuthlibRequest(uri, method, body, headers)


@pytest.fixture
def hosts(settings):
    settings.ALLOWED_HOSTS = ["localhost", "127.0.0.1", "sso.example.test", "[::1]", "testserver"]


@pytest.mark.parametrize("host", HOSTS)
@pytest.mark.parametrize("secure", [False, True])
@pytest.mark.parametrize("script_prefix", ["/", "/portal/"])
def test_the_issuer_is_dots_for_either_request(hosts, host, secure, script_prefix):
    request = RequestFactory().post(
        "/o/token/", {"grant_type": "authorization_code"}, HTTP_HOST=host, secure=secure
    )
    set_script_prefix(script_prefix)
    try:
        for asked in (request, _oauthlib_request(request)):
            expected = oauth2_settings.oidc_issuer(asked)
            assert flows.oidc_issuer(asked) == expected
            assert urlsplit(expected).path == script_prefix.rstrip("/")  # the prefix counts
    finally:
        clear_script_prefix()


def test_the_setting_names_the_issuer(settings, hosts):
    settings.OAUTH2_PROVIDER = {
        **settings.OAUTH2_PROVIDER,
        "OIDC_ISS_ENDPOINT": "https://sso.example.test/o",
    }
    oauth2_settings.reload()
    try:
        request = RequestFactory().get("/o/authorize/", HTTP_HOST="localhost")
        assert flows.oidc_issuer(request) == "https://sso.example.test/o"
        assert flows.oidc_issuer(_oauthlib_request(request)) == "https://sso.example.test/o"
    finally:
        oauth2_settings.reload()


def test_a_host_not_allowed_is_still_refused(hosts):
    request = RequestFactory().get("/o/authorize/", HTTP_HOST="evil.example.test")
    with pytest.raises(DisallowedHost):
        flows.oidc_issuer(request)
    with pytest.raises(DisallowedHost):
        flows.oidc_issuer(_oauthlib_request(request))


def test_another_url_configuration_has_its_own_path(hosts):
    request = RequestFactory().get("/", HTTP_HOST="localhost")
    assert flows.oidc_issuer(request) == "http://localhost"
    with override_settings(ROOT_URLCONF="tests.oidc.urls_elsewhere"):
        assert flows.oidc_issuer(request) == oauth2_settings.oidc_issuer(request)
        assert flows.oidc_issuer(request) == "http://localhost/elsewhere"
    assert flows.oidc_issuer(request) == "http://localhost"


@pytest.mark.django_db
def test_the_id_tokens_iss_is_the_token_requests(client, relying_app, user, password, hosts):
    sign_in(client, user.username, password)
    code, verifier = get_code(client)
    data = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT_URI}
    response = client.post(
        "/o/token/",
        {**data, "code_verifier": verifier},
        HTTP_AUTHORIZATION=basic_auth(),
        HTTP_HOST="sso.example.test",
    )
    assert response.status_code == 200, response.content
    assert unverified_claims(response.json()["id_token"])["iss"] == "http://sso.example.test"
