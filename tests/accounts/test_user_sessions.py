"""Where you're signed in: one UserSession row per live portal session (accounts.sessions)."""

import time
from base64 import b32encode

import pyotp
import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import UserSession
from accounts.sessions import end_other_sessions, live_sessions
from accounts.signin.flows import FRESH_SIGNIN_SESSION_KEY
from tests.conftest import led_to, sign_in
from tests.mfa.conftest import confirm, validate

pytestmark = pytest.mark.django_db


def _phone(user) -> pyotp.TOTP:
    device = TOTPDevice.objects.create(user=user, name="Authenticator", confirmed=True)
    return pyotp.TOTP(b32encode(device.bin_key).decode())


def _sign_in_with_code(client, user, password) -> None:
    phone = _phone(user)
    assert led_to(sign_in(client, user.username, password)) == "/security/challenge/totp/"
    assert led_to(validate(client, "totp", phone.now())) == "/security/challenge/confirm/"
    assert led_to(confirm(client)) == "/"


def _ask_fresh_signin(client) -> None:
    """What prompt=login (or max_age) does: the sign-in pages run although someone is
    signed in (accounts.signin.flows.request_fresh_signin)."""
    session = client.session
    session[FRESH_SIGNIN_SESSION_KEY] = int(time.time())
    session.save()


def _rows(user) -> list[str]:
    return list(UserSession.objects.filter(user=user).values_list("session_key", flat=True))


@pytest.mark.parametrize("engine", ["sso.sessions", "django.contrib.sessions.backends.db"])
@pytest.mark.parametrize("second_has_factor", [False, True])
def test_another_account_signing_in_over_a_live_session_gets_its_own_row(
    client, make_user, password, second_has_factor, engine, settings
):
    """A shared computer: the first account is signed out (its row goes), the second signs
    in with a new key, and its row is written, straight after the password or after the
    challenge, with either session engine."""
    settings.SESSION_ENGINE = engine
    first, second = make_user("ani"), make_user("budi")
    assert led_to(sign_in(client, "ani", password)) == "/"
    assert _rows(first) == [client.session.session_key]
    _ask_fresh_signin(client)
    if second_has_factor:
        _sign_in_with_code(client, second, password)
    else:
        assert led_to(sign_in(client, "budi", password)) == "/"
    key = client.session.session_key
    assert _rows(first) == []  # signed out as with Sign Out
    assert _rows(second) == [key]
    assert [row.session_key for row in live_sessions(second)] == [key]


def test_the_same_account_signing_in_again_keeps_one_live_row(client, user, password):
    _sign_in_with_code(client, user, password)
    old = client.session.session_key
    _ask_fresh_signin(client)
    # This browser is trusted now: the password alone signs in, with a new session key.
    assert led_to(sign_in(client, user.username, password)) == "/"
    assert client.session.session_key != old
    key = client.session.session_key
    assert [row.session_key for row in live_sessions(user)] == [key]


def test_a_step_up_keeps_the_session_listed_and_ended_by_sign_out_everywhere(
    client, user, password, time_machine
):
    """A step-up gives the session a new key (no session fixation across the proof): its row
    goes with it, so Where you're signed in still lists it and Sign out everywhere (an admin's,
    a lock) still ends it."""
    time_machine.move_to("2026-12-01 09:00:00+00:00", tick=False)
    phone = _phone(user)
    assert led_to(sign_in(client, user.username, password)) == "/security/challenge/totp/"
    assert led_to(validate(client, "totp", phone.now())) == "/security/challenge/confirm/"
    assert led_to(confirm(client)) == "/"
    time_machine.shift(60)  # the next code
    assert led_to(client.get("/security/step-up/", {"next": "/"})) == "/security/challenge/"
    assert led_to(validate(client, "totp", phone.now())) == "/security/challenge/confirm/"
    assert led_to(confirm(client)) == "/"
    key = client.session.session_key
    assert [row.session_key for row in live_sessions(user)] == [key]
    assert end_other_sessions(None, user) == 1
    assert client.get("/")["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize("engine", ["sso.sessions", "django.contrib.sessions.backends.db"])
def test_another_account_signing_in_over_a_live_session_with_the_question_keeps_rows_right(
    client, make_user, password, engine, settings
):
    """The verified code is carried to the security question under a new key of the session
    (one Confirm and Continue completes it): the live session's row follows that key, and the
    second account's sign-in after the answer signs the first out as without the question."""
    from accounts.question import flows as question_policy

    settings.SESSION_ENGINE = engine
    settings.ACCOUNTS_SECURITY_QUESTION_ENABLED = True
    first, second = make_user("ani"), make_user("budi")
    assert led_to(sign_in(client, "ani", password)) == "/"
    _ask_fresh_signin(client)
    question_policy.set_question(second, "Kota lahir?", "Mataram")
    phone = _phone(second)
    assert led_to(sign_in(client, "budi", password)) == "/security/challenge/totp/"
    assert led_to(validate(client, "totp", phone.now())) == "/security/challenge/confirm/"
    old = client.session.session_key
    assert led_to(confirm(client)) == "/accounts/login/question/"
    assert client.session.session_key != old
    assert _rows(first) == [client.session.session_key]  # still signed in, under the new key
    mark = client.get("/accounts/login/question/").context["page_mark"]
    answer = client.post("/accounts/login/question/", {"answer": "Mataram", "signin": mark})
    assert led_to(answer) == "/"
    key = client.session.session_key
    assert _rows(first) == []
    assert _rows(second) == [key]
    assert client.get("/").context["user"] == second
