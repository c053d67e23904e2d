"""The endpoints relying apps call server to server skip the browser's middleware
(sso/oidc/middleware.py): no session read even when the browser's cookies come along, the
same security headers, the same refusal of an unreadable body."""

import pytest
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext

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


def test_an_unreadable_body_is_refused_as_before(client, relying_app):
    response = client.post(
        "/o/token/",
        "grant_type=x",
        content_type="application/x-www-form-urlencoded; charset=latin-1",
    )
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"
