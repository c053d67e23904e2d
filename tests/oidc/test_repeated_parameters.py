"""A parameter given twice is refused at every endpoint of the provider (RFC 6749 §3.1: "Request
and response parameters MUST NOT be included more than once"; OpenID Connect Core follows it),
in the endpoint's own way: the app gets ``invalid_request`` at its redirect URI when the client
and redirect URI are genuine, else a 400 page; the token, revocation, introspection and
UserInfo endpoints answer HTTP 400 ``invalid_request``; logout shows its error page. Only RFC
8707's ``resource`` may repeat."""

from urllib.parse import urlencode

import pytest
from oauth2_provider.models import get_access_token_model, get_grant_model

from sso.oidc.models import SignInContext
from tests.conftest import sign_in
from tests.oidc.conftest import CLIENT_SECRET, POST_LOGOUT_URI, REDIRECT_URI
from tests.oidc.helpers import authorize_url, basic_auth, exchange, get_code, pkce_pair, query_of

pytestmark = pytest.mark.django_db

# Every authorize parameter but the five oauthlib refuses itself as fatal (below), and one that
# no endpoint knows: each with two values, the second of which alone would be accepted.
ANSWERED_TO_THE_APP = [
    ("nonce", "a", "b"),
    ("prompt", "none", "login"),
    ("prompt", "login", "none"),
    ("prompt", "consent", "consent"),
    ("max_age", "0", "3600"),
    ("code_challenge_method", "plain", "S256"),
    ("acr_values", "urn:mace:incommon:iap:silver", "x"),
    ("ui_locales", "id", "en"),
    ("login_hint", "ani", "budi"),
    ("claims", "{}", "{}"),
    ("display", "page", "page"),
    ("response_mode", "fragment", "query"),
    ("approval_prompt", "force", "auto"),
    ("an_extension", "1", "2"),
]
# RFC 6749 §4.1.2.1: with the client or its redirect URI in doubt, never redirect.
FATAL = ["client_id", "redirect_uri", "response_type", "scope", "state"]


def repeated(url: str, name: str, first: str, second: str) -> str:
    """``url`` without ``name``, then ``name`` given twice."""
    path, query = url.split("?", 1)
    kept = [pair for pair in query.split("&") if not pair.startswith(name + "=")]
    return f"{path}?{'&'.join(kept)}&{urlencode([(name, first), (name, second)])}"


def nothing_stored() -> bool:
    return not get_grant_model().objects.exists() and not SignInContext.objects.exists()


def assert_sent_back(response, name: str) -> None:
    assert response.status_code == 302, response.content[:300]
    assert response["Location"].startswith(REDIRECT_URI + "?"), response["Location"]
    query = query_of(response["Location"])
    assert query["error"] == "invalid_request"
    assert query["error_description"] == f"The {name} parameter is given more than once."
    assert query["state"] == "state-1"
    assert query["iss"] == "http://testserver"
    assert "code" not in query
    assert nothing_stored()


@pytest.fixture
def signed_in(client, relying_app, user, password):
    sign_in(client, user.username, password)
    return client


@pytest.mark.parametrize("anonymous", [False, True], ids=["signed-in", "anonymous"])
@pytest.mark.parametrize(("name", "first", "second"), ANSWERED_TO_THE_APP)
def test_a_repeated_authorize_parameter_is_sent_back_as_invalid_request(
    client, relying_app, user, password, anonymous, name, first, second
):
    if not anonymous:
        sign_in(client, user.username, password)
    _, challenge = pkce_pair()
    response = client.get(repeated(authorize_url(challenge), name, first, second))
    assert_sent_back(response, name)


@pytest.mark.parametrize("anonymous", [False, True], ids=["signed-in", "anonymous"])
def test_a_repeated_code_challenge_is_sent_back(client, relying_app, user, password, anonymous):
    if not anonymous:
        sign_in(client, user.username, password)
    _, challenge = pkce_pair()
    _, other = pkce_pair()
    url = repeated(authorize_url(challenge), "code_challenge", challenge, other)
    assert_sent_back(client.get(url), "code_challenge")


@pytest.mark.parametrize("anonymous", [False, True], ids=["signed-in", "anonymous"])
@pytest.mark.parametrize("name", FATAL)
@pytest.mark.parametrize("prompt", [None, "none", "login"])
def test_a_repeated_client_redirect_uri_or_state_gets_a_page(
    client, relying_app, user, password, anonymous, name, prompt
):
    if not anonymous:
        sign_in(client, user.username, password)
    _, challenge = pkce_pair()
    url = authorize_url(challenge, prompt=prompt)
    value = query_of(url)[name]
    response = client.get(repeated(url, name, value, value))
    assert response.status_code == 400
    assert "Location" not in response
    assert nothing_stored()


def test_a_consent_form_with_a_field_twice_gets_a_page(client, make_app, user, password):
    make_app(skip_authorization=False)
    sign_in(client, user.username, password)
    _, challenge = pkce_pair()
    page = client.get(authorize_url(challenge, prompt="consent"))
    assert page.status_code == 200
    form = page.context["form"]
    fields = [(name, str(value)) for name, value in form.initial.items() if value is not None]
    fields += [("allow", "Authorize"), ("nonce", "another")]
    body = urlencode(fields)
    response = client.post("/o/authorize/", body, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 400
    assert "Location" not in response
    assert nothing_stored()


def test_resource_may_repeat(signed_in):
    """RFC 8707 §2: one ``resource`` parameter per resource the token is for."""
    verifier, challenge = pkce_pair()
    url = (
        authorize_url(challenge)
        + "&"
        + urlencode(
            [("resource", "https://api.example.test/a"), ("resource", "https://api.example.test/b")]
        )
    )
    response = signed_in.get(url)
    assert response.status_code == 302
    query = query_of(response["Location"])
    assert "code" in query, query
    token = exchange(signed_in, query["code"], verifier)
    assert token.status_code == 200, token.content


def token_request(code: str, verifier: str) -> list[tuple[str, str]]:
    return [
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", REDIRECT_URI),
        ("code_verifier", verifier),
    ]


def post_form(client, path: str, pairs: list[tuple[str, str]], **headers):
    return client.post(
        path, urlencode(pairs), content_type="application/x-www-form-urlencoded", **headers
    )


def assert_invalid_request(response, name: str) -> None:
    assert response.status_code == 400, response.content[:300]
    assert response.json() == {
        "error": "invalid_request",
        "error_description": f"The {name} parameter is given more than once.",
    }


@pytest.mark.parametrize(
    "name", ["grant_type", "code", "redirect_uri", "code_verifier", "client_id", "scope"]
)
def test_a_repeated_token_parameter_is_invalid_request(signed_in, name):
    code, verifier = get_code(signed_in)
    pairs = token_request(code, verifier)
    value = dict(pairs).get(name) or {"client_id": "relying-app", "scope": "openid"}[name]
    pairs += [(name, value)] * (1 if name in dict(pairs) else 2)
    response = post_form(signed_in, "/o/token/", pairs, HTTP_AUTHORIZATION=basic_auth())
    assert_invalid_request(response, name)
    assert not get_access_token_model().objects.exists()
    # The code was not spent: sent once, each parameter once, it works.
    assert exchange(signed_in, code, verifier).status_code == 200


def test_a_repeated_client_secret_is_invalid_request(signed_in):
    """Client authentication in the body (RFC 6749 §2.3.1), the secret given twice."""
    code, verifier = get_code(signed_in)
    pairs = [*token_request(code, verifier), ("client_id", "relying-app")]
    pairs += [("client_secret", CLIENT_SECRET)] * 2
    assert_invalid_request(post_form(signed_in, "/o/token/", pairs), "client_secret")
    assert not get_access_token_model().objects.exists()


@pytest.fixture
def tokens(signed_in) -> dict:
    code, verifier = get_code(signed_in)
    response = exchange(signed_in, code, verifier)
    assert response.status_code == 200
    return response.json()


def test_a_repeated_refresh_token_is_invalid_request(signed_in, tokens):
    pairs = [("grant_type", "refresh_token")] + [("refresh_token", tokens["refresh_token"])] * 2
    response = post_form(signed_in, "/o/token/", pairs, HTTP_AUTHORIZATION=basic_auth())
    assert_invalid_request(response, "refresh_token")


@pytest.mark.parametrize("path", ["/o/revoke_token/", "/o/introspect/"])
@pytest.mark.parametrize("name", ["token", "token_type_hint"])
def test_revocation_and_introspection_refuse_a_repeated_parameter(signed_in, tokens, path, name):
    value = tokens["access_token"] if name == "token" else "access_token"
    pairs = [("token", tokens["access_token"]), (name, value)]
    if name == "token_type_hint":
        pairs.append((name, "refresh_token"))
    response = post_form(signed_in, path, pairs, HTTP_AUTHORIZATION=basic_auth())
    assert_invalid_request(response, name)
    # Not revoked: the token still opens UserInfo.
    userinfo = signed_in.get("/o/userinfo/", HTTP_AUTHORIZATION=f"Bearer {tokens['access_token']}")
    assert userinfo.status_code == 200


@pytest.mark.parametrize("method", ["get", "post"])
def test_userinfo_refuses_a_repeated_parameter(client, tokens, method):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {tokens['access_token']}"}
    if method == "get":
        response = client.get("/o/userinfo/?claims=a&claims=a", **headers)
    else:
        response = post_form(client, "/o/userinfo/", [("claims", "a")] * 2, **headers)
    assert_invalid_request(response, "claims")
    assert response["WWW-Authenticate"].startswith('Bearer error="invalid_request"')
    assert response["Access-Control-Allow-Origin"] == "*"


LOGOUT_PARAMETERS = [
    "id_token_hint",
    "client_id",
    "post_logout_redirect_uri",
    "state",
    "ui_locales",
    "logout_hint",
]


@pytest.mark.parametrize("method", ["get", "post"])
@pytest.mark.parametrize("name", LOGOUT_PARAMETERS)
def test_logout_refuses_a_repeated_parameter_with_a_page(signed_in, tokens, method, name):
    sent = {
        "id_token_hint": tokens["id_token"],
        "client_id": "relying-app",
        "post_logout_redirect_uri": POST_LOGOUT_URI,
        "state": "bye",
        "ui_locales": "en",
        "logout_hint": "ani",
    }
    pairs = [*sent.items(), (name, sent[name])]
    if method == "get":
        response = signed_in.get("/o/logout/?" + urlencode(pairs))
    else:
        response = post_form(signed_in, "/o/logout/", pairs)
    assert response.status_code == 400, response.content[:300]
    assert "cannot be completed" in response.text
    assert "Location" not in response
    assert "_auth_user_id" in signed_in.session  # still signed in


@pytest.mark.parametrize("second", ["%6Eonce=b", "%6E%6F%6E%63%65=b"])
def test_a_name_sent_percent_encoded_is_the_same_name(client, relying_app, second):
    """``%6Eonce`` is ``nonce`` to every reader (Django's and oauthlib's both decode names): the
    same parameter twice, not another one."""
    _, challenge = pkce_pair()
    assert_sent_back(client.get(f"{authorize_url(challenge)}&{second}"), "nonce")
