"""The ID token tells the app how this session signed in, and step-up by acr_values."""

from urllib.parse import urlsplit

import pytest

from accounts.signin.flows import AUTH_METHODS_SESSION_KEY, AUTH_TIME_SESSION_KEY
from sso.oidc.claims import ACR_MFA, ACR_PASSWORD, ACR_PHISHING_RESISTANT
from tests.conftest import sign_in
from tests.oidc.conftest import REDIRECT_URI
from tests.oidc.helpers import authorize_url, exchange, get_code, pkce_pair, query_of
from tests.oidc.helpers import unverified_claims as claims_of

pytestmark = pytest.mark.django_db


def set_session(client, **values) -> None:
    session = client.session
    session.update(values)
    session.save()


def id_token(client, **params) -> dict:
    code, verifier = get_code(client, **params)
    return claims_of(exchange(client, code, verifier).json()["id_token"])


@pytest.mark.parametrize(
    ("methods", "amr", "acr"),
    [
        (["pwd"], ["pwd"], ACR_PASSWORD),
        (["otp", "pwd"], ["mfa", "otp", "pwd"], ACR_MFA),
        (["pwd", "sms"], ["mfa", "pwd", "sms"], ACR_MFA),
        (["hwk", "user"], ["hwk", "mfa", "user"], ACR_PHISHING_RESISTANT),
    ],
)
def test_id_token_carries_the_sessions_amr_acr_and_auth_time(
    client, relying_app, user, password, methods, amr, acr
):
    sign_in(client, user.username, password)
    set_session(client, **{AUTH_METHODS_SESSION_KEY: methods, AUTH_TIME_SESSION_KEY: 1_700_000_000})
    claims = id_token(client)
    assert claims["amr"] == amr
    assert claims["acr"] == acr
    assert claims["auth_time"] == 1_700_000_000


def test_scopes_decide_the_user_claims(client, relying_app, user, password):
    sign_in(client, user.username, password)
    claims = id_token(client, scope="openid")
    assert "email" not in claims
    assert "preferred_username" not in claims
    assert claims["amr"] == ["pwd"]


@pytest.mark.parametrize("wanted", [ACR_MFA, ACR_PHISHING_RESISTANT])
def test_acr_values_above_the_session_send_the_user_to_step_up(
    client, relying_app, user, password, wanted
):
    sign_in(client, user.username, password)  # password only (or a trusted device)
    _, challenge = pkce_pair()
    url = authorize_url(challenge, acr_values=wanted)
    response = client.get(url)
    assert response.status_code == 302
    assert urlsplit(response["Location"]).path == "/security/step-up/"
    assert query_of(response["Location"])["next"] == url


def test_step_up_is_asked_once_per_request(client, relying_app, user, password):
    """Back from step-up without reaching the level (no such factor): the app gets the level
    reached, told in `acr`, rather than a loop."""
    sign_in(client, user.username, password)
    _, challenge = pkce_pair()
    url = authorize_url(challenge, acr_values=ACR_PHISHING_RESISTANT)
    client.get(url)
    set_session(client, **{AUTH_METHODS_SESSION_KEY: ["otp", "pwd"]})  # stepped up with TOTP
    response = client.get(url)
    assert response["Location"].startswith(REDIRECT_URI + "?code=")


def test_a_session_at_the_level_goes_straight_through(client, relying_app, user, password):
    sign_in(client, user.username, password)
    set_session(client, **{AUTH_METHODS_SESSION_KEY: ["otp", "pwd"]})
    claims = id_token(client, acr_values=ACR_MFA)
    assert claims["acr"] == ACR_MFA


def test_prompt_none_below_the_level_answers_login_required(client, relying_app, user, password):
    sign_in(client, user.username, password)
    _, challenge = pkce_pair()
    response = client.get(authorize_url(challenge, acr_values=ACR_MFA, prompt="none"))
    assert query_of(response["Location"])["error"] == "login_required"
