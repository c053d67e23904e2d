"""Through the MFA app's real challenge pages: password + TOTP (pyotp), and step-up on a
trusted device when an app asks for MFA with acr_values."""

import time
from urllib.parse import urlsplit

import pytest

from sso.oidc.claims import ACR_MFA, ACR_PASSWORD
from tests.conftest import led_to, sign_in
from tests.mfa.conftest import confirm, pick, validate
from tests.oidc.conftest import REDIRECT_URI
from tests.oidc.helpers import authorize_url, exchange, pkce_pair, query_of
from tests.oidc.helpers import unverified_claims as claims_of

pytestmark = pytest.mark.django_db


def finish_at_the_app(client, url: str, verifier: str) -> dict:
    response = client.get(url)
    assert response["Location"].startswith(REDIRECT_URI + "?code="), response["Location"]
    token = exchange(client, query_of(response["Location"])["code"], verifier).json()
    return claims_of(token["id_token"])


def test_password_and_totp_give_mfa(client, relying_app, user, password, phone):
    verifier, challenge = pkce_pair()
    url = authorize_url(challenge)
    next_url = query_of(client.get(url)["Location"])["next"]

    after_password = sign_in(client, user.username, password, next_url)
    assert led_to(after_password) == "/security/challenge/totp/"  # the one factor's page
    assert led_to(validate(client, "totp", phone.now())) == "/security/challenge/confirm/"
    assert confirm(client)["Location"] == next_url

    claims = finish_at_the_app(client, url, verifier)
    assert claims["amr"] == ["mfa", "otp", "pwd"]
    assert claims["acr"] == ACR_MFA


def test_acr_values_step_up_on_a_trusted_device(client, relying_app, user, password, phone):
    # First sign-in with the challenge; "Trust this device" stays checked.
    sign_in(client, user.username, password)
    pick(client, "totp")
    validate(client, "totp", phone.now())
    confirm(client, remember=True)
    client.post("/accounts/logout/")

    # On the trusted device the password alone signs in: password-only level.
    sign_in(client, user.username, password)
    verifier, challenge = pkce_pair()
    assert finish_at_the_app(client, authorize_url(challenge), verifier)["acr"] == ACR_PASSWORD

    # An app that demands MFA gets the user through the challenge again.
    verifier, challenge = pkce_pair()
    url = authorize_url(challenge, acr_values=ACR_MFA)
    step_up = client.get(url)
    assert urlsplit(step_up["Location"]).path == "/security/step-up/"
    assert led_to(client.get(step_up["Location"])) == "/security/challenge/"
    pick(client, "totp")
    next_code = phone.at(time.time() + 30)  # the first code was used; the app shows the next
    assert led_to(validate(client, "totp", next_code)) == "/security/challenge/confirm/"
    assert confirm(client)["Location"] == url

    claims = finish_at_the_app(client, url, verifier)
    assert claims["acr"] == ACR_MFA
    assert "otp" in claims["amr"]
