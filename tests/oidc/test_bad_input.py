"""Bad input gets the spec's error response, or a clear page where the spec forbids a
redirect; never an error 500."""

import base64
import json
from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from tests.conftest import sign_in
from tests.oidc.conftest import POST_LOGOUT_URI, REDIRECT_URI
from tests.oidc.helpers import (
    authorize_url,
    basic_auth,
    exchange,
    get_code,
    pkce_pair,
    query_of,
    unverified_claims,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def signed_in(client, relying_app, user, password):
    sign_in(client, user.username, password)
    return client


def test_unknown_client_gets_a_page_not_a_redirect(signed_in):
    _, challenge = pkce_pair()
    response = signed_in.get(authorize_url(challenge, client_id="nobody"))
    assert response.status_code == 400
    assert "not registered with this portal" in response.text


def test_unknown_client_is_refused_before_sign_in(client, relying_app):
    _, challenge = pkce_pair()
    response = client.get(authorize_url(challenge, client_id="nobody"))
    assert response.status_code == 400


@pytest.mark.parametrize(
    "redirect_uri",
    [
        "http://evil.example/callback",
        REDIRECT_URI + "/more",
        REDIRECT_URI + "?x=1",
        "http://rp.example.test:8080/callback",
    ],
)
def test_unregistered_redirect_uri_gets_a_page(signed_in, redirect_uri):
    _, challenge = pkce_pair()
    response = signed_in.get(authorize_url(challenge, redirect_uri=redirect_uri))
    assert response.status_code == 400
    assert "not registered for it" in response.text


def test_plain_pkce_is_refused(signed_in):
    response = signed_in.get(authorize_url("x" * 43, code_challenge_method="plain"))
    assert response.status_code == 302
    assert query_of(response["Location"])["error"] == "invalid_request"


def test_wrong_pkce_verifier_is_invalid_grant(signed_in):
    code, _ = get_code(signed_in)
    response = exchange(signed_in, code, "wrong-verifier-" + "x" * 40)
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"


def test_missing_pkce_verifier_is_refused(signed_in):
    code, _ = get_code(signed_in)
    response = signed_in.post(
        "/o/token/",
        {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT_URI},
        HTTP_AUTHORIZATION=basic_auth(),
    )
    assert response.status_code == 400


def test_a_code_used_twice_fails_and_revokes_its_tokens(signed_in):
    code, verifier = get_code(signed_in)
    first = exchange(signed_in, code, verifier)
    assert first.status_code == 200
    access_token = first.json()["access_token"]
    assert (
        signed_in.get("/o/userinfo/", HTTP_AUTHORIZATION=f"Bearer {access_token}").status_code
        == 200
    )

    second = exchange(signed_in, code, verifier)
    assert second.status_code == 400
    assert second.json()["error"] == "invalid_grant"
    # RFC 6749 §4.1.2: the tokens issued from that code are revoked.
    assert (
        signed_in.get("/o/userinfo/", HTTP_AUTHORIZATION=f"Bearer {access_token}").status_code
        != 200
    )


def test_an_expired_code_is_invalid_grant(signed_in):
    code, verifier = get_code(signed_in)
    with time_machine.travel(datetime.now(UTC) + timedelta(seconds=61), tick=False):
        response = exchange(signed_in, code, verifier)
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"


def test_a_code_for_another_redirect_uri_is_refused(signed_in):
    code, verifier = get_code(signed_in)
    response = exchange(signed_in, code, verifier, redirect_uri="http://rp.example.test/other")
    assert response.status_code == 400


def test_wrong_client_secret_is_invalid_client(signed_in):
    code, verifier = get_code(signed_in)
    response = signed_in.post(
        "/o/token/",
        {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": REDIRECT_URI,
            "code_verifier": verifier,
        },
        HTTP_AUTHORIZATION=basic_auth(secret="not-the-secret"),
    )
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"


def id_token_for(client) -> str:
    code, verifier = get_code(client)
    return exchange(client, code, verifier).json()["id_token"]


def tamper(id_token: str) -> str:
    """The same token claiming another user (the signature no longer matches)."""
    header, _payload, signature = id_token.split(".")
    claims = unverified_claims(id_token)
    claims["sub"] = str(int(claims["sub"]) + 1)
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    return f"{header}.{forged}.{signature}"


@pytest.mark.parametrize(
    "hint",
    ["tampered", "not-a-jwt", "a.b.c", "eyJhbGciOiJub25lIn0.eyJhdWQiOiJ4In0."],
)
def test_bad_id_token_hint_gets_a_page(signed_in, hint):
    if hint == "tampered":
        hint = tamper(id_token_for(signed_in))
    response = signed_in.get(
        "/o/logout/", {"id_token_hint": hint, "post_logout_redirect_uri": POST_LOGOUT_URI}
    )
    assert response.status_code == 400
    assert "_auth_user_id" in signed_in.session  # still signed in


def test_unregistered_post_logout_uri_gets_a_page(signed_in):
    response = signed_in.get(
        "/o/logout/",
        {
            "id_token_hint": id_token_for(signed_in),
            "post_logout_redirect_uri": "http://evil.example/bye",
        },
    )
    assert response.status_code == 400
    assert "not registered for it" in response.text
    assert "_auth_user_id" in signed_in.session


def test_logout_for_an_unknown_client_gets_a_page(signed_in):
    response = signed_in.get("/o/logout/", {"client_id": "nobody"})
    assert response.status_code == 400


def test_logout_without_a_hint_asks_the_user(signed_in):
    page = signed_in.get("/o/logout/")
    assert page.status_code == 200
    assert "Sign Out" in page.text
    assert "_auth_user_id" in signed_in.session
    response = signed_in.post("/o/logout/", {"allow": "on"})
    assert response.status_code == 302
    assert "_auth_user_id" not in signed_in.session


@pytest.mark.parametrize(
    "form",
    [
        {},
        {"allow": "Authorize", "scope": "openid"},
        {"redirect_uri": "http://rp.example.test/callback", "scope": "openid",
         "client_id": "no-such-app", "response_type": "code", "allow": "Authorize"},
    ],
)  # fmt: skip
def test_a_consent_form_the_portal_did_not_send_is_a_400(client, user, relying_app, form):
    """A signed-in browser posting an altered consent form gets a 400 page, nothing issued."""
    from oauth2_provider.models import Grant

    client.force_login(user)
    response = client.post("/o/authorize/", form)
    assert response.status_code == 400
    assert "did not come from this portal" in response.text
    assert not Grant.objects.exists()
