"""Fixtures of the passkey tests: a signed-in client and the software authenticator."""

import json

import pytest

from tests.conftest import led_to, prove_account_email, sign_in
from tests.passkeys.authenticator import ORIGIN, SoftAuthenticator

REGISTER_OPTIONS = "/security/passkeys/register/options/"
REGISTER_VERIFY = "/security/passkeys/register/verify/"
SIGNIN_OPTIONS = "/security/passkeys/signin/options/"
SIGNIN_VERIFY = "/security/passkeys/signin/verify/"


@pytest.fixture(autouse=True)
def _passkey_origin(settings):
    """The tests' browser lives at http://localhost:8000 (the RP ID default is localhost)."""
    settings.MFA_PASSKEYS_ORIGINS = [ORIGIN]


def post_json(client, url: str, body: object):
    return client.post(url, json.dumps(body), content_type="application/json")


@pytest.fixture
def authenticator() -> SoftAuthenticator:
    return SoftAuthenticator()


@pytest.fixture
def password_only(client, user, password):
    """Signed in with the password alone: no first factor can be bound yet (mfa.binding)."""
    response = sign_in(client, user.username, password)
    assert led_to(response) == "/", "the password sign-in should succeed"
    return client


@pytest.fixture
def signed_in(password_only):
    """Signed in with the password, and the account e-mail code typed back, as the portal
    asks before the first second factor (mfa.binding)."""
    prove_account_email(password_only)
    return password_only


def register(client, authenticator: SoftAuthenticator, name: str = "Work laptop", **kwargs):
    """Runs Save New Device with ``authenticator``; returns the verify response."""
    options = post_json(client, REGISTER_OPTIONS, {"name": name}).json()
    answer = authenticator.create(options, **kwargs)
    return post_json(client, REGISTER_VERIFY, {"name": name, "credential": answer})


@pytest.fixture
def registered(signed_in, authenticator) -> SoftAuthenticator:
    """``user`` has one passkey on ``authenticator``; the client is signed out again."""
    assert register(signed_in, authenticator).status_code == 200
    signed_in.post("/accounts/logout/")
    return authenticator
