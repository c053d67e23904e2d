"""Hands-on attack pass on the sign-in, the machine-endpoint bypass and the code exchange.

Each pins a defence: the ones that failed when written (a PKCE downgrade) were fixed with them.
"""

import pytest

from tests.conftest import sign_in
from tests.oidc.conftest import (  # noqa: F401 (fixtures)
    REDIRECT_URI,
    make_app,
    oidc_provider_settings,
    relying_app,
    rsa_private_key,
)
from tests.oidc.helpers import authorize_url, basic_auth, exchange, get_code, query_of

pytestmark = pytest.mark.django_db

MACHINE_POSTS = ("/o/token/", "/o/revoke_token/", "/o/introspect/", "/o/userinfo/")


@pytest.fixture
def signed_in(client, relying_app, user, password):  # noqa: F811
    sign_in(client, user.username, password)
    return client


def test_code_verifier_without_challenge_is_refused(signed_in):
    response = signed_in.get(authorize_url(None, code_challenge_method=None))
    code = query_of(response["Location"])["code"]
    answer = exchange(signed_in, code, "v" * 50)
    assert answer.status_code == 400
    assert answer.json()["error"] == "invalid_grant"  # RFC 9700 § 2.1.1: no PKCE downgrade


def test_code_is_single_use_and_reuse_revokes_its_tokens(signed_in):
    code, verifier = get_code(signed_in)
    first = exchange(signed_in, code, verifier)
    assert first.status_code == 200
    assert exchange(signed_in, code, verifier).json()["error"] == "invalid_grant"
    token = first.json()["access_token"]
    assert signed_in.get("/o/userinfo/", HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 401


def test_code_of_one_client_is_refused_to_another(signed_in, make_app):  # noqa: F811
    make_app(client_id="other-app", name="Other")
    code, verifier = get_code(signed_in)
    data = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT_URI}
    data["code_verifier"] = verifier
    refused = signed_in.post("/o/token/", data, HTTP_AUTHORIZATION=basic_auth("other-app"))
    assert refused.json()["error"] == "invalid_grant"
    assert exchange(signed_in, code, verifier).status_code == 200  # the owner still can


def test_password_only_sign_in_claims_one_factor(signed_in):
    from tests.oidc.helpers import unverified_claims

    code, verifier = get_code(signed_in)
    claims = unverified_claims(exchange(signed_in, code, verifier).json()["id_token"])
    assert claims["acr"] == "urn:sso-portal:acr:password"
    assert "mfa" not in claims["amr"]


@pytest.mark.parametrize("path", MACHINE_POSTS)
@pytest.mark.parametrize(
    "body,content_type",
    [
        (b"\x00\xff\xfe garbage=%%%", "application/x-www-form-urlencoded"),
        (b'{"grant_type": "authorization_code"}', "application/json"),
        (b"--x\r\nbroken", "multipart/form-data; boundary=x"),
    ],
)
def test_machine_endpoints_answer_junk_without_500(client, relying_app, path, body, content_type):  # noqa: F811
    response = client.post(path, body, content_type=content_type, HTTP_AUTHORIZATION=basic_auth())
    assert 400 <= response.status_code < 500
    assert response["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize("path", ["//o/token/", "/O/TOKEN/", "/o/token//", "/o/token/%2F"])
def test_path_tricks_do_not_reach_the_token_view(client, path):
    assert client.post(path, {"grant_type": "x"}).status_code == 404


def test_challenge_pages_refuse_a_session_without_password(client, user):
    client.post("/accounts/login/", {"username": user.username})
    for path in ("/security/challenge/totp/", "/security/challenge/confirm/"):
        response = client.post(path, {"code": "123456", "remember": "on"})
        assert response.status_code == 302
        assert response["Location"] == "/accounts/login/"
    assert "_auth_user_id" not in client.session
