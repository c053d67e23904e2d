"""Whatever an app (or anyone) sends an endpoint of the provider gets the protocol's error,
never an error 500, and nothing is stored: NUL bytes, overlong values, a PKCE challenge of
the wrong shape (RFC 7636 §4.2), grant types the portal does not offer."""

import pytest
from oauth2_provider.models import get_grant_model

from sso.oidc.models import SignInContext
from tests.conftest import sign_in
from tests.oidc.conftest import POST_LOGOUT_URI, REDIRECT_URI
from tests.oidc.helpers import authorize_url, basic_auth, get_code, pkce_pair, query_of

pytestmark = pytest.mark.django_db

NUL = "\x00"
OVERLONG = "a" * 5000
AUTHORIZE_PARAMETERS = [
    "response_type", "scope", "state", "nonce", "code_challenge", "code_challenge_method",
    "prompt", "max_age", "acr_values", "ui_locales", "login_hint", "id_token_hint", "claims",
    "display", "response_mode",
]  # fmt: skip


@pytest.fixture
def signed_in(client, relying_app, user, password):
    sign_in(client, user.username, password)
    return client


def nothing_stored() -> bool:
    return not get_grant_model().objects.exists() and not SignInContext.objects.exists()


def assert_sent_back(response, error: str = "invalid_request") -> dict:
    """An error the app receives at its redirect URI, with its state and the issuer."""
    assert response.status_code == 302, response.content[:300]
    assert response["Location"].startswith(REDIRECT_URI + "?")
    query = query_of(response["Location"])
    assert query["error"] == error
    assert query["iss"] == "http://testserver"
    assert "code" not in query
    assert nothing_stored()
    return query


BAD_CHALLENGES = [
    "a" * 200,  # the example: longer than 128
    "a" * 129,
    "a" * 42,  # shorter than 43
    "",
    "abc" + NUL + "a" * 50,
    "a" * 42 + "+",  # base64, not base64url
    "a" * 42 + "=",
    "a" * 42 + "/",
    "é" * 43,
]


def test_a_code_challenge_of_the_wrong_shape_is_invalid_request(signed_in):
    for challenge in BAD_CHALLENGES:
        query = assert_sent_back(signed_in.get(authorize_url(challenge)))
        assert query["state"] == "state-1", challenge


@pytest.mark.parametrize("length", [43, 128])
def test_code_challenges_of_the_allowed_lengths_work(signed_in, length):
    challenge = ("A-._~b" * 22)[:length]
    response = signed_in.get(authorize_url(challenge))
    assert "code" in query_of(response["Location"])


def test_every_authorize_parameter_refuses_nul_and_overlong_values(signed_in):
    _, challenge = pkce_pair()
    for name in AUTHORIZE_PARAMETERS:
        for value in (NUL, "x" + NUL + "y", OVERLONG):
            assert_sent_back(signed_in.get(authorize_url(challenge, **{name: value})))


def test_an_overlong_nonce_is_refused_before_it_is_stored(signed_in):
    _, challenge = pkce_pair()
    assert_sent_back(signed_in.get(authorize_url(challenge, nonce="n" * 256)))


MALFORMED_CLIENTS = [
    ("client_id", "relying-app" + NUL),
    ("client_id", NUL),
    ("client_id", "r" * 101),
    ("client_id", OVERLONG),
    ("redirect_uri", REDIRECT_URI + NUL),
    ("redirect_uri", OVERLONG),
]


@pytest.mark.parametrize("anonymous", [False, True], ids=["signed-in", "anonymous"])
def test_a_malformed_client_or_redirect_uri_gets_a_page(
    client, relying_app, user, password, anonymous
):
    """RFC 6749 §4.1.2.1: never redirect when the client or its redirect URI is in doubt."""
    if not anonymous:
        sign_in(client, user.username, password)
    _, challenge = pkce_pair()
    for name, value in MALFORMED_CLIENTS:
        for prompt in (None, "none", "login"):
            response = client.get(authorize_url(challenge, prompt=prompt, **{name: value}))
            assert response.status_code == 400, (name, value[:20], prompt)
            assert "Location" not in response
    assert nothing_stored()


@pytest.mark.parametrize(
    "grant_type",
    [
        "urn:ietf:params:oauth:grant-type:device_code",
        "password",
        "client_credentials",
        "implicit",
        "urn:ietf:params:oauth:grant-type:jwt-bearer",
        "urn:ietf:params:oauth:grant-type:token-exchange",
        "urn:ietf:params:oauth:grant-type:saml2-bearer",
    ],
)
@pytest.mark.parametrize("with_device_code", [True, False])
def test_grant_types_the_portal_does_not_offer(client, relying_app, grant_type, with_device_code):
    data = {"grant_type": grant_type, "username": "ani", "password": "x", "scope": "openid"}
    if with_device_code:
        data["device_code"] = "GmRhmhcxhwAzkoEqiMEg_DnyEysNkuNhszIySk9eS"
    response = client.post("/o/token/", data, HTTP_AUTHORIZATION=basic_auth())
    assert response.status_code == 400
    assert response.json()["error"] == "unsupported_grant_type"


def test_every_token_parameter_refuses_nul_and_overlong_values(signed_in):
    for name in ("grant_type", "code", "redirect_uri", "code_verifier", "client_id", "scope"):
        for value in (NUL, OVERLONG):
            code, verifier = get_code(signed_in)
            data = {
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": REDIRECT_URI,
                "code_verifier": verifier,
                name: value,
            }
            response = signed_in.post("/o/token/", data, HTTP_AUTHORIZATION=basic_auth())
            assert response.status_code == 400, (name, value[:5])
            assert response.json()["error"] == "invalid_request"


@pytest.mark.parametrize(
    ("path", "data"),
    [
        ("/o/token/", {"grant_type": "refresh_token", "refresh_token": NUL}),
        ("/o/revoke_token/", {"token": "x" + NUL}),
        ("/o/revoke_token/", {"token": OVERLONG}),
        ("/o/revoke_token/", {"token": "x", "token_type_hint": NUL}),
        ("/o/introspect/", {"token": "x" + NUL}),
        ("/o/introspect/", {"token": OVERLONG}),
    ],
)
def test_token_endpoints_refuse_nul_and_overlong_values(client, relying_app, path, data):
    response = client.post(path, data, HTTP_AUTHORIZATION=basic_auth())
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"


MALFORMED_LOGOUTS = [
    {"client_id": "relying-app" + NUL},
    {"client_id": NUL},
    {"id_token_hint": "a" + NUL + "b"},
    {"client_id": "relying-app", "post_logout_redirect_uri": POST_LOGOUT_URI + NUL},
    {"client_id": "relying-app", "post_logout_redirect_uri": POST_LOGOUT_URI, "state": NUL},
    {"ui_locales": NUL},
    {"logout_hint": OVERLONG},
]


def test_logout_refuses_malformed_parameters_with_a_page(signed_in):
    for params in MALFORMED_LOGOUTS:
        for send in (signed_in.get, signed_in.post):
            response = send("/o/logout/", params)
            assert response.status_code == 400, params
            assert "cannot be completed" in response.text
            assert "_auth_user_id" in signed_in.session  # still signed in
