"""The re-attack of last session's fixes: the PKCE downgrade (sso/oidc/code_exchange.py), by
the paths the first fix did not walk. Each pins a defence; the empty verifier failed before."""

import pytest

from tests.conftest import sign_in
from tests.oidc.conftest import (  # noqa: F401 (fixtures)
    REDIRECT_URI,
    make_app,
    oidc_provider_settings,
    relying_app,
    rsa_private_key,
)
from tests.oidc.helpers import authorize_url, basic_auth, exchange, get_code, pkce_pair, query_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def signed_in(client, relying_app, user, password):  # noqa: F811
    sign_in(client, user.username, password)
    return client


def _code_without_pkce(client) -> str:
    response = client.get(authorize_url(None, code_challenge_method=None))
    return query_of(response["Location"])["code"]


def test_an_empty_verifier_for_a_code_without_pkce_is_refused(signed_in):
    # RFC 9700 §2.1.1: a token request *containing* a code_verifier for a code issued without
    # a code_challenge is rejected; an empty one is a verifier too (RFC 7636 §4.1: 43-128).
    answer = exchange(signed_in, _code_without_pkce(signed_in), "")
    assert answer.status_code == 400
    assert answer.json()["error"] == "invalid_grant"


def test_a_verifier_in_the_query_string_is_refused(signed_in):
    data = {"grant_type": "authorization_code", "code": _code_without_pkce(signed_in)}
    data["redirect_uri"] = REDIRECT_URI
    url = "/o/token/?code_verifier=" + "v" * 43
    answer = signed_in.post(url, data, HTTP_AUTHORIZATION=basic_auth())
    assert answer.status_code == 400
    assert "access_token" not in answer.json()


@pytest.mark.parametrize("verifier", [None, ""])
def test_a_code_with_pkce_needs_its_verifier(signed_in, verifier):
    code, _right = get_code(signed_in)
    data = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT_URI}
    if verifier is not None:
        data["code_verifier"] = verifier
    answer = signed_in.post("/o/token/", data, HTTP_AUTHORIZATION=basic_auth())
    assert answer.status_code == 400
    assert "access_token" not in answer.json()


@pytest.mark.parametrize("method", [None, "plain", "s256", "S512"])
def test_only_s256_challenges_are_taken(signed_in, method):
    _verifier, challenge = pkce_pair()
    response = signed_in.get(authorize_url(challenge, code_challenge_method=method))
    assert response.status_code == 302
    assert query_of(response["Location"])["error"] == "invalid_request"


def test_a_method_without_a_challenge_is_no_pkce(signed_in):
    response = signed_in.get(authorize_url(None, code_challenge_method="S256"))
    code = query_of(response["Location"])["code"]
    assert exchange(signed_in, code, "v" * 43).json()["error"] == "invalid_grant"
