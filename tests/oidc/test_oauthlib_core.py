"""The URI the portal's OAuthLibCore hands oauthlib is DOT's (sso/oidc/server.py), worked out
once per request."""

import pytest
from django.test import RequestFactory
from oauth2_provider.oauth2_backends import OAuthLibCore
from oauth2_provider.settings import oauth2_settings

from sso.oidc.server import PortalOAuthLibCore

QUERIES = [
    "",
    "client_id=app&response_type=code&scope=openid+profile",
    "redirect_uri=http%3A%2F%2Frp.example.test%2Fcallback&state=a%20b",
    "state=[x]&nonce={y}|z^`",
    "q=caf\u00e9&r=\u00fcber&s=\u0430",
    'a=<b>&c="d"&e=%25&f=#',
    "x==&&y=;z",
]


def _core(cls):
    return cls.__new__(cls)  # no server needed for the URI


def test_it_is_the_configured_backend():
    assert oauth2_settings.OAUTH2_BACKEND_CLASS is PortalOAuthLibCore


@pytest.mark.parametrize("query", QUERIES)
@pytest.mark.parametrize("path", ["/o/authorize/", "/o/auth%20orize/", "/o/\u00e9/"])
def test_the_uri_is_dots(path, query):
    request = RequestFactory().get(path)
    request.META["QUERY_STRING"] = query
    fresh = RequestFactory().get(path)
    fresh.META["QUERY_STRING"] = query
    expected = _core(OAuthLibCore)._get_escaped_full_path(fresh)
    assert _core(PortalOAuthLibCore)._get_escaped_full_path(request) == expected
    # Asked again in the same request: the same answer.
    assert _core(PortalOAuthLibCore)._get_escaped_full_path(request) == expected


def test_a_changed_query_string_is_escaped_anew():
    core = _core(PortalOAuthLibCore)
    request = RequestFactory().get("/o/authorize/?state=[1]")
    first = core._get_escaped_full_path(request)
    request.META["QUERY_STRING"] = "state={2}"
    assert core._get_escaped_full_path(request) == "/o/authorize/?state=%7B2%7D"
    assert first == "/o/authorize/?state=%5B1%5D"
