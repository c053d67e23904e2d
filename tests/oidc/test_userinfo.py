"""UserInfo takes the access token from the Authorization header only, and answers browsers'
cross-origin requests like discovery and the JWKS (OpenID Connect Core §5.3)."""

import pytest
import requests

from tests.oidc.relying_party import RelyingParty, sign_in_through

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def token(browser, live_server, relying_app, user, password) -> dict:
    rp = RelyingParty(live_server.url)
    token = rp.fetch_token(sign_in_through(browser, rp, user, password))
    return {**token, "endpoint": rp.metadata["userinfo_endpoint"]}


def test_the_authorization_header_works(token, user):
    response = requests.get(
        token["endpoint"], headers={"Authorization": f"Bearer {token['access_token']}"}, timeout=10
    )
    assert response.status_code == 200
    assert response.json()["sub"] == str(user.pk)
    assert response.headers["Access-Control-Allow-Origin"] == "*"


@pytest.mark.parametrize(
    "how",
    ["query", "form body", "query beside the header", "form body beside the header"],
)
def test_a_token_anywhere_else_is_refused(token, how):
    """RFC 9700 §2.4.1 (never in the query: it lands in access logs) and RFC 6750 §2 (one
    method per request)."""
    value = token["access_token"]
    headers = {"Authorization": f"Bearer {value}"} if "header" in how else {}
    if how.startswith("query"):
        response = requests.get(
            token["endpoint"], params={"access_token": value}, headers=headers, timeout=10
        )
    else:
        response = requests.post(
            token["endpoint"], data={"access_token": value}, headers=headers, timeout=10
        )
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer ")
    assert "sub" not in response.text


def test_a_browser_may_ask_from_another_origin(token):
    preflight = requests.options(
        token["endpoint"],
        headers={
            "Origin": "https://spa.example.test",
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "authorization",
        },
        timeout=10,
    )
    assert preflight.status_code in (200, 204)
    assert preflight.headers["Access-Control-Allow-Origin"] == "*"
    assert "authorization" in preflight.headers["Access-Control-Allow-Headers"].lower()
    assert "GET" in preflight.headers["Access-Control-Allow-Methods"]

    refused = requests.get(
        token["endpoint"], headers={"Origin": "https://spa.example.test"}, timeout=10
    )
    assert refused.status_code == 401
    # The app's script can read why (the header is exposed to it).
    assert refused.headers["Access-Control-Allow-Origin"] == "*"
    assert "WWW-Authenticate" in refused.headers["Access-Control-Expose-Headers"]
