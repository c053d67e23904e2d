"""PortalRequest (sso/oidc/server.py): oauthlib's answers, with the query parsed once."""

from unittest import mock
from urllib import parse

from oauthlib.common import Request

from sso.oidc.server import PortalRequest

URI = "https://sso.example.test/o/authorize/?client_id=a&scope=openid&state=1&state=2&x="


def test_the_same_answers_as_oauthlibs_request():
    ours, theirs = PortalRequest(URI, body="code=c&code=d"), Request(URI, body="code=c&code=d")
    assert ours.uri_query_params == theirs.uri_query_params
    assert sorted(ours.duplicate_params) == sorted(theirs.duplicate_params) == ["code", "state"]


def test_the_query_is_parsed_once_per_uri():
    request = PortalRequest(URI)
    with mock.patch("oauthlib.common.urlparse.parse_qsl", wraps=parse.parse_qsl) as parsed:
        for _ in range(5):
            assert "state" in request.duplicate_params
            assert ("client_id", "a") in request.uri_query_params
        assert parsed.call_count == 1
        request.uri = "https://sso.example.test/o/authorize/?client_id=b"
        assert request.duplicate_params == []
        assert request.uri_query_params == [("client_id", "b")]
        assert parsed.call_count == 2


def test_a_caller_changing_the_list_changes_nothing_kept():
    request = PortalRequest(URI)
    request.uri_query_params.append(("client_id", "evil"))
    assert ("client_id", "evil") not in request.uri_query_params
