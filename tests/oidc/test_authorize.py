"""The authorize endpoint's demands on the portal session: SSO, prompt, max_age, consent."""

import re
from html import unescape
from unittest import mock
from urllib.parse import urlsplit

import pytest
from oauth2_provider.settings import oauth2_settings

from accounts.signin.flows import AUTH_TIME_SESSION_KEY
from sso.oidc import flows
from tests.conftest import sign_in
from tests.oidc.conftest import REDIRECT_URI
from tests.oidc.helpers import authorize_url, exchange, get_code, pkce_pair, query_of

pytestmark = pytest.mark.django_db


def login_next(response) -> str:
    assert response.status_code == 302
    location = urlsplit(response["Location"])
    assert location.path == "/accounts/login/"
    return query_of(response["Location"])["next"]


def test_a_stranger_is_sent_to_sign_in_and_back(client, relying_app, user, password):
    _, challenge = pkce_pair()
    next_url = login_next(client.get(authorize_url(challenge)))
    assert next_url.startswith("/o/authorize/?")

    response = sign_in(client, user.username, password, next_url)
    assert response["Location"] == next_url
    back = client.get(next_url)
    assert back["Location"].startswith(REDIRECT_URI + "?code=")


def test_a_signed_in_user_goes_straight_through(client, relying_app, user, password):
    sign_in(client, user.username, password)
    code, _ = get_code(client)
    assert code


def test_prompt_none_without_a_session_answers_login_required(client, relying_app):
    _, challenge = pkce_pair()
    response = client.get(authorize_url(challenge, prompt="none"))
    assert response.status_code == 302
    assert response["Location"].startswith(REDIRECT_URI)
    # RFC 9207 §2: error responses name the issuer too.
    assert query_of(response["Location"]) == {
        "error": "login_required",
        "state": "state-1",
        "iss": "http://testserver",
    }


def test_prompt_none_with_a_session_signs_in_silently(client, relying_app, user, password):
    sign_in(client, user.username, password)
    code, _ = get_code(client, prompt="none")
    assert code


def test_prompt_none_without_consent_answers_consent_required(client, make_app, user, password):
    make_app(skip_authorization=False)
    sign_in(client, user.username, password)
    _, challenge = pkce_pair()
    response = client.get(authorize_url(challenge, prompt="none"))
    assert query_of(response["Location"])["error"] == "consent_required"


def test_prompt_login_signs_the_user_in_afresh_without_a_loop(client, relying_app, user, password):
    sign_in(client, user.username, password)
    _, challenge = pkce_pair()
    url = authorize_url(challenge, prompt="login")
    next_url = login_next(client.get(url))
    assert next_url == url  # back to this very request, which the new sign-in then meets
    # Nothing ended: the portal session goes on until the new sign-in completes.
    assert client.get("/").status_code == 200
    assert client.get(url)["Location"].startswith("/accounts/login/")  # not answered yet

    sign_in(client, user.username, password, next_url)
    assert client.get(next_url)["Location"].startswith(REDIRECT_URI + "?code=")


@pytest.mark.parametrize("max_age", ["0", "60"])
def test_max_age_forces_a_fresh_sign_in(client, relying_app, user, password, max_age):
    sign_in(client, user.username, password)
    session = client.session
    session[AUTH_TIME_SESSION_KEY] -= 3600  # signed in an hour ago
    session.save()
    _, challenge = pkce_pair()
    next_url = login_next(client.get(authorize_url(challenge, max_age=max_age)))
    assert query_of(next_url)["max_age"] == max_age

    sign_in(client, user.username, password, next_url)
    assert client.get(next_url)["Location"].startswith(REDIRECT_URI + "?code=")


def test_a_recent_sign_in_meets_max_age(client, relying_app, user, password):
    sign_in(client, user.username, password)
    code, _ = get_code(client, max_age="600")
    assert code


def test_max_age_for_a_stranger_does_not_loop(client, relying_app, user, password):
    _, challenge = pkce_pair()
    next_url = login_next(client.get(authorize_url(challenge, max_age="0")))
    sign_in(client, user.username, password, next_url)
    assert client.get(next_url)["Location"].startswith(REDIRECT_URI + "?code=")


def test_third_party_app_asks_consent_once(client, make_app, user, password):
    make_app(skip_authorization=False, name="Partner Portal")
    sign_in(client, user.username, password)
    verifier, challenge = pkce_pair()
    page = client.get(authorize_url(challenge))
    assert page.status_code == 200
    assert "Partner Portal" in page.text
    assert "Your e-mail address" in page.text

    form = page.context["form"]
    data = {name: value for name, value in form.initial.items() if value is not None}
    denied = client.post("/o/authorize/", {**data})
    assert query_of(denied["Location"])["error"] == "access_denied"

    allowed = client.post("/o/authorize/", {**data, "allow": "on"})
    code = query_of(allowed["Location"])["code"]
    assert exchange(client, code, verifier).status_code == 200
    # Consent given (a live token): the next authorization goes straight through.
    assert get_code(client)[0]


def test_prompt_consent_asks_again_after_an_earlier_consent(client, make_app, user, password):
    """OpenID Connect Core §3.1.2.1: prompt=consent asks for consent even when it was given
    before; the answer to the page is then the code, as the first time."""
    make_app(skip_authorization=False, name="Partner Portal")
    sign_in(client, user.username, password)
    verifier, challenge = pkce_pair()
    page = client.get(authorize_url(challenge))
    data = {k: v for k, v in page.context["form"].initial.items() if v is not None}
    code = query_of(client.post("/o/authorize/", {**data, "allow": "on"})["Location"])["code"]
    assert exchange(client, code, verifier).status_code == 200
    assert get_code(client)[0]  # consent given: straight through without prompt=consent

    verifier, challenge = pkce_pair()
    again = client.get(authorize_url(challenge, prompt="consent"))
    assert again.status_code == 200
    assert "Partner Portal" in again.text
    data = {k: v for k, v in again.context["form"].initial.items() if v is not None}
    code = query_of(client.post("/o/authorize/", {**data, "allow": "on"})["Location"])["code"]
    assert exchange(client, code, verifier).status_code == 200


def test_prompt_consent_for_a_first_party_app_goes_straight_through(
    client, relying_app, user, password
):
    """The admin made the app first-party (no consent page): prompt=consent does not add one,
    as for a Keycloak client that requires no consent."""
    sign_in(client, user.username, password)
    assert get_code(client, prompt="consent")[0]


def test_consent_page_has_no_inline_script_or_style(client, make_app, user, password):
    make_app(skip_authorization=False)
    sign_in(client, user.username, password)
    _, challenge = pkce_pair()
    page = client.get(authorize_url(challenge)).text
    assert not re.search(r"<script(?![^>]*\bsrc=)", page)  # only external scripts
    assert "<style" not in page
    assert "style=" not in page


def test_a_code_names_the_issuer_once_worked_out_once_per_kind(client, relying_app, user, password):
    """The issuer of the sign-in context (flows.oidc_issuer, DOT's answer) and the RFC 9207
    ``iss`` of the answer are each worked out once per authorize request, and ``iss`` is there
    once."""
    sign_in(client, user.username, password)
    _, challenge = pkce_pair()
    oidc = mock.patch.object(flows, "oidc_issuer", side_effect=flows.oidc_issuer)
    authorization_server = mock.patch.object(
        type(oauth2_settings),
        "oauth2_authorization_server_issuer",
        autospec=True,
        side_effect=type(oauth2_settings).oauth2_authorization_server_issuer,
    )
    with oidc as oidc_issuer, authorization_server as server_issuer:
        response = client.get(authorize_url(challenge))
    assert response.status_code == 302
    query = urlsplit(response["Location"]).query
    assert query.count("iss=") == 1 and query_of(response["Location"])["iss"] == "http://testserver"
    assert oidc_issuer.call_count == 1
    assert server_issuer.call_count == 1


def test_an_authorize_request_is_validated_once(client, relying_app, user, password):
    """oauthlib validated the request a second time before making the code (every check,
    the client's included); the request validated a moment before is made into the code."""
    validator = type(oauth2_settings.OAUTH2_VALIDATOR_CLASS())
    original = validator.validate_client_id
    sign_in(client, user.username, password)
    _, challenge = pkce_pair()
    with mock.patch.object(
        validator, "validate_client_id", autospec=True, side_effect=original
    ) as validated:
        response = client.get(authorize_url(challenge))
    assert response["Location"].startswith(REDIRECT_URI + "?code=")
    assert validated.call_count == 1


def test_a_code_is_256_random_bits(client, relying_app, user, password):
    """One ``secrets`` draw per code (sso/oidc/server.py), URL-safe, as the tokens are."""
    sign_in(client, user.username, password)
    codes = {get_code(client)[0] for _ in range(3)}
    assert len(codes) == 3
    assert all(re.fullmatch(r"[A-Za-z0-9_-]{43}", code) for code in codes)


def test_the_sign_in_page_goes_back_to_the_exact_authorize_request(client, relying_app):
    """A state with &, #, spaces and non-ASCII (an app may put anything there, RFC 6749
    section 4.1.1) comes back unchanged: the sign-in page posts the authorize address as the
    request had it."""
    _, challenge = pkce_pair()
    asked = authorize_url(challenge, state="a&b #c d+e ü/é?")
    to_sign_in = client.get(asked)["Location"]
    assert urlsplit(to_sign_in).path == "/accounts/login/"
    page = client.get(to_sign_in)
    found = re.search(r'<input type="hidden" name="next" value="([^"]*)">', page.text)
    assert found and unescape(found.group(1)) == asked
