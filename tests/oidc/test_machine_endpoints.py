"""The endpoints relying apps call server to server skip the browser's middleware
(sso/oidc/middleware.py): no session read even when the browser's cookies come along, the
same security headers, the same refusal of an unreadable body."""

from unittest import mock

import pytest
from django.db import connection
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import set_script_prefix

from sso.oidc import middleware
from sso.oidc.middleware import machine_paths
from tests.conftest import sign_in
from tests.oidc.helpers import exchange, get_code

pytestmark = pytest.mark.django_db

DB_SESSIONS = "django.contrib.sessions.backends.db"


def test_exactly_the_machine_endpoints_are_served_directly():
    assert machine_paths() == {
        "/o/token/",
        "/o/revoke_token/",
        "/o/introspect/",
        "/o/userinfo/",
        "/o/.well-known/jwks.json",
        "/.well-known/openid-configuration",
        "/.well-known/openid-configuration/",
    }


@override_settings(SESSION_ENGINE=DB_SESSIONS)
def test_a_token_request_with_the_browsers_cookies_reads_no_session(
    client, relying_app, user, password
):
    sign_in(client, user.username, password)
    code, verifier = get_code(client)
    with CaptureQueriesContext(connection) as queries:
        response = exchange(client, code, verifier)  # the browser's client: its cookies go too
    assert response.status_code == 200
    tables_read = [
        q["sql"].split('FROM "')[1].split('"')[0]
        for q in queries.captured_queries
        if q["sql"].startswith("SELECT")
    ]
    assert "django_session" not in tables_read
    assert "accounts_user" not in tables_read  # the user comes with the grant
    assert not response.cookies
    assert "Cookie" not in response.get("Vary", "")


@pytest.mark.parametrize(
    "path", ["/o/.well-known/jwks.json", "/.well-known/openid-configuration", "/o/token/"]
)
def test_the_security_headers_stay(client, relying_app, path):
    response = client.get(path)
    assert response["Content-Security-Policy"].startswith("default-src")
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize(
    "path", ["/o/.well-known/jwks.json", "/.well-known/openid-configuration", "/o/token/"]
)
def test_a_host_outside_allowed_hosts_is_refused_as_elsewhere(client, relying_app, path):
    """ALLOWED_HOSTS holds for these paths too (ASVS V13.1.3's "unexpected Host headers"):
    the answer is the 400 every other path gives, nothing of the endpoint's."""
    elsewhere = client.get("/accounts/login/", HTTP_HOST="evil.example")
    response = client.get(path, HTTP_HOST="evil.example")
    assert response.status_code == elsewhere.status_code == 400
    assert b"evil.example" not in response.content
    assert response["X-Frame-Options"] == "DENY"


def test_an_unreadable_body_is_refused_as_before(client, relying_app):
    response = client.post(
        "/o/token/",
        "grant_type=x",
        content_type="application/x-www-form-urlencoded; charset=latin-1",
    )
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"


def test_the_paths_are_the_same_under_a_script_prefix():
    """Served under a sub-path, ``reverse()`` gives ``/sso/o/token/`` while the request's
    ``path_info`` is ``/o/token/``: the set holds the latter."""
    unprefixed = machine_paths()
    set_script_prefix("/sso/")
    try:
        assert machine_paths() == unprefixed
    finally:
        set_script_prefix("/")


@override_settings(SESSION_ENGINE=DB_SESSIONS)
def test_under_a_script_prefix_a_token_request_still_reads_no_session(relying_app, user, password):
    browser = Client()
    sign_in(browser, user.username, password)
    code, verifier = get_code(browser)
    # As gunicorn under SCRIPT_NAME=/sso: WSGIHandler sets the script prefix per request (the
    # test client does not), and a new client's first request builds the set of paths.
    served_under_prefix = Client(SCRIPT_NAME="/sso")
    served_under_prefix.cookies = browser.cookies  # the browser's cookies go too
    set_script_prefix("/sso/")
    try:
        with CaptureQueriesContext(connection) as queries:
            response = exchange(served_under_prefix, code, verifier)
    finally:
        set_script_prefix("/")
    assert response.status_code == 200
    assert not any("django_session" in q["sql"] for q in queries.captured_queries)
    assert "Cookie" not in response.get("Vary", "")


def test_each_machine_path_is_resolved_once_per_worker(client, relying_app, user, password):
    """The URL matching of a machine endpoint is done at its first request; later requests
    reach the same view (a code exchanged each time)."""
    sign_in(client, user.username, password)
    with mock.patch.object(middleware, "resolve", side_effect=middleware.resolve) as resolved:
        for _ in range(3):
            code, verifier = get_code(client)
            response = exchange(client, code, verifier)
            assert response.status_code == 200 and "id_token" in response.json()
            assert response.wsgi_request.resolver_match.url_name == "token"
    assert resolved.call_count == 1
