"""The challenge after a correct password (seeds/000 §4): pick, code, Validate, Trust this
device, Confirm and Continue."""

import pytest
from django.contrib.auth import SESSION_KEY

from accounts.question import flows as question_policy
from tests.conftest import led_to, post_username, sign_in
from tests.mfa.conftest import confirm, pick, to_challenge, validate


@pytest.fixture(autouse=True)
def _fixed_clock(time_machine):
    time_machine.move_to("2026-11-21 09:00:10+07:00", tick=False)


def test_full_challenge_with_the_authenticator(client, user, password, phone):
    to_challenge(client, password)
    assert SESSION_KEY not in client.session
    picker = client.get("/security/challenge/")
    assert "Authenticator" in picker.text
    assert led_to(pick(client, "totp")) == "/security/challenge/totp/"
    page = client.get("/security/challenge/totp/")
    assert "Validate" in page.text
    assert 'autocomplete="one-time-code"' in page.text and 'inputmode="numeric"' in page.text
    response = validate(client, "totp", phone.now())
    assert led_to(response) == "/security/challenge/confirm/"
    assert SESSION_KEY not in client.session
    confirm_page = client.get("/security/challenge/confirm/")
    assert "Your code was accepted." in confirm_page.text
    assert "Trust this device" in confirm_page.text
    assert "checked" in confirm_page.text.split('name="remember"')[1].split(">")[0]
    assert "Confirm and Continue" in confirm_page.text
    done = confirm(client)
    assert led_to(done) == "/"
    assert client.session[SESSION_KEY] == str(user.pk)
    assert client.session["accounts.auth_methods"] == ["otp", "pwd"]


def test_the_last_login_is_the_confirmation_not_the_password(
    client, user, password, phone, time_machine
):
    from datetime import timedelta

    from django.utils import timezone

    to_challenge(client, password)
    validate(client, "totp", phone.now())
    user.refresh_from_db()
    assert user.last_login is None  # only the password and the code: nobody signed in yet
    later = timezone.now() + timedelta(seconds=30)
    time_machine.move_to(later, tick=False)
    assert led_to(confirm(client)) == "/"
    user.refresh_from_db()
    assert user.last_login == later


def test_picker_links_to_methods_that_send_nothing_and_posts_those_that_send(
    client, user, password, phone, email_factor
):
    """Authenticator is a plain GET to its page (nothing to send, one request less); e-mail is
    a POST, since picking it sends a code. No CSRF token ever lands in a URL."""
    to_challenge(client, password)
    picker = client.get("/security/challenge/").text
    authenticator_form = picker.split('action="/security/challenge/totp/"')[0].rsplit("<form", 1)[1]
    assert 'method="get"' in authenticator_form
    authenticator = picker.split('action="/security/challenge/totp/"')[1].split("</form>")[0]
    assert "csrfmiddlewaretoken" not in authenticator and 'name="method"' not in authenticator
    email = picker.split('action="/security/challenge/"')[1].split("</form>")[0]
    assert "csrfmiddlewaretoken" in email and 'value="email"' in email
    page = client.get("/security/challenge/totp/")  # what the browser does on the click
    assert page.status_code == 200 and "Validate" in page.text
    assert led_to(validate(client, "totp", phone.now())) == "/security/challenge/confirm/"


def test_next_target_survives_the_challenge(client, user, password, phone):
    from tests.conftest import sign_in

    sign_in(client, "ani", password, next_url="/security/devices/")
    pick(client, "totp")
    validate(client, "totp", phone.now())
    assert confirm(client)["Location"] == "/security/devices/"


def test_nothing_is_reachable_while_only_the_password_is_done(client, user, password, phone):
    to_challenge(client, password)
    for url in ["/", "/security/", "/security/authenticator/", "/security/devices/", "/admin/"]:
        response = client.get(url)
        assert response.status_code == 302, url
        assert "login" in response["Location"], url
    assert led_to(client.get("/security/challenge/confirm/")) == "/security/challenge/"


def test_an_account_locked_after_its_code_is_not_signed_in_at_confirm(
    client, user, password, phone
):
    """The code was right, then the account was locked (an admin's Lock accounts, or the limit
    reached by attempts elsewhere) before Confirm and Continue: it signed the locked account in
    and trusted the browser."""
    from accounts import lockout
    from mfa.models import TrustedDevice

    to_challenge(client, password)
    assert led_to(validate(client, "totp", phone.now())) == "/security/challenge/confirm/"
    lockout.lock_account(user, minutes=60)
    assert led_to(confirm(client)) == "/accounts/login/"
    assert SESSION_KEY not in client.session
    assert not TrustedDevice.objects.exists()
    assert "This account is locked. Try again later." in client.get("/accounts/login/").text
    assert led_to(confirm(client)) == "/accounts/login/"  # nothing left to confirm
    assert SESSION_KEY not in client.session


def test_half_signed_in_state_dies_after_ten_minutes(client, user, password, phone, time_machine):
    to_challenge(client, password)
    time_machine.move_to("2026-11-21 09:10:20+07:00", tick=False)
    response = validate(client, "totp", phone.now())
    assert response["Location"] == "/accounts/login/"
    assert SESSION_KEY not in client.session


def test_wrong_code_says_so_and_keeps_the_user_out(client, user, password, phone):
    to_challenge(client, password)
    response = validate(client, "totp", "000000" if phone.now() != "000000" else "111111")
    assert response.status_code == 200
    assert "That code is not right" in response.text
    assert SESSION_KEY not in client.session


@pytest.mark.parametrize(
    "bad", ["abcdef", "12345", "1234567", "", "1" * 10_000, "12 34 5x", "١٢٣٤٥٦"]
)
def test_malformed_codes_are_form_errors(client, user, password, phone, bad):
    to_challenge(client, password)
    response = validate(client, "totp", bad)
    assert response.status_code == 200
    assert 'class="field-error"' in response.text
    assert SESSION_KEY not in client.session


def test_a_code_with_nul_bytes_is_refused_before_the_form(client, user, password, phone):
    to_challenge(client, password)
    response = validate(client, "totp", "\x00" * 6)
    assert response.status_code == 400
    assert "Bad request" in response.text
    assert SESSION_KEY not in client.session


def test_a_method_the_user_does_not_have_is_refused(client, user, password, phone):
    to_challenge(client, password)
    for slug in ("email", "sms", "nonsense"):
        assert client.post("/security/challenge/", {"method": slug}).status_code == 400
        response = validate(client, slug, "123456")
        assert response.status_code == 400
        assert "Choose one of the methods shown." in response.text
    assert SESSION_KEY not in client.session


def test_five_wrong_codes_end_the_attempt(client, user, password, phone):
    to_challenge(client, password)
    for _ in range(4):
        assert "not right" in validate(client, "totp", "999999").text
        user.totpdevice_set.update(throttling_failure_count=0)
    response = validate(client, "totp", "999999")
    assert response["Location"] == "/accounts/login/"
    assert validate(client, "totp", phone.now())["Location"] == "/accounts/login/"


def test_passkeyless_user_without_factor_signs_in_directly(client, make_user, password):
    make_user("budi")
    from tests.conftest import sign_in

    assert led_to(sign_in(client, "budi", password)) == "/"


def test_staff_without_factor_must_enrol_first(client, make_user, password):
    """Signed in with the password only, every page but enrolment leads to enrolment; the
    authenticator set up there does not make this a multi-factor session."""
    import pyotp

    from accounts.signin.flows import AUTH_METHODS_SESSION_KEY
    from tests.conftest import prove_account_email, sign_in

    make_user("boss", is_staff=True)
    # Home is shown in place only past the MFA policy's gate (sso.in_place.PAGE_GATES).
    assert led_to(sign_in(client, "boss", password)) == "/security/setup/"
    assert client.get("/")["Location"] == "/security/setup/"
    assert client.get("/admin/")["Location"] == "/security/setup/"
    prove_account_email(client, "/security/authenticator/")  # the proof page stays open
    page = client.get("/security/authenticator/")
    key = page.text.split('id="totp-key">')[1].split("<")[0].replace(" ", "")
    client.post("/security/authenticator/", {"code": pyotp.TOTP(key).now()})
    # Continue leads to the page last asked for.
    assert client.post("/security/setup/continue/")["Location"] == "/admin/"
    assert client.get("/").status_code == 200
    assert client.session[AUTH_METHODS_SESSION_KEY] == ["pwd"]


def test_policy_all_requires_everyone(client, make_user, password, settings):
    settings.MFA_REQUIRED_FOR = "all"
    make_user("budi")
    from tests.conftest import sign_in

    assert led_to(sign_in(client, "budi", password)) == "/security/setup/"
    assert client.get("/")["Location"] == "/security/setup/"


def test_cancel_sign_in_ends_the_challenge_even_once_answered(client, user, password, phone):
    """ "Cancel sign-in" (or "Not you?") ends the whole sign-in under way: an answered challenge
    left in the session would let the next person at the browser Confirm and Continue."""
    to_challenge(client, password)
    assert led_to(validate(client, "totp", phone.now())) == "/security/challenge/confirm/"
    assert client.post("/accounts/login/restart/")["Location"] == "/accounts/login/"
    assert client.get("/security/challenge/confirm/")["Location"] == "/accounts/login/"
    assert confirm(client)["Location"] == "/accounts/login/"
    assert SESSION_KEY not in client.session


def test_another_name_at_the_username_step_ends_the_challenge_even_once_answered(
    client, make_user, user, password, phone
):
    """The next person at the browser types their own name rather than pressing "Not you?":
    the answered challenge of the sign-in under way ends too. Left in the session, the next
    person's own sign-in (without a factor) was answered with its Verified page, shown in place
    for their ``next``, and Confirm and Continue signed them in as the previous person."""
    budi = make_user("budi")
    to_challenge(client, password)
    assert led_to(validate(client, "totp", phone.now())) == "/security/challenge/confirm/"
    answered = sign_in(client, "budi", password, "/security/challenge/confirm/")
    assert "Confirm and Continue" not in answered.text
    assert client.session[SESSION_KEY] == str(budi.pk)
    confirm(client)
    assert client.session[SESSION_KEY] == str(budi.pk)


def test_the_same_name_again_keeps_the_challenge(client, user, password, phone):
    """Back to the username step and Next with the same name: the challenge under way stays
    (its wrong answers still count, a code sent for it still works)."""
    to_challenge(client, password)
    assert led_to(validate(client, "totp", phone.now())) == "/security/challenge/confirm/"
    assert led_to(client.post("/accounts/login/", {"username": "ani"})) == "/accounts/login/method/"
    assert "Confirm and Continue" in client.get("/security/challenge/confirm/").text


def test_the_same_name_in_another_spelling_keeps_the_challenge(client, user, password, phone):
    """ "ANI" in full-width letters is ani's name (accounts.usernames): typed again after Back,
    it keeps her sign-in under way, and where it was going, as "ani" does."""
    post_username(client, "ani", next_url="/security/")
    client.post("/accounts/login/password/", {"username": "ani", "password": password})
    assert led_to(validate(client, "totp", phone.now())) == "/security/challenge/confirm/"
    assert (
        led_to(client.post("/accounts/login/", {"username": "\uff21\uff2e\uff29"}))
        == "/accounts/login/method/"
    )
    assert "Confirm and Continue" in client.get("/security/challenge/confirm/").text
    assert led_to(confirm(client)) == "/security/"


def test_back_to_the_finished_challenge_leads_home_without_an_expiry_message(
    client, user, password, phone
):
    """Back from Home after Confirm and Continue asks for the Verified page again: the person
    is signed in, so Home, not "Your sign-in has expired"."""
    to_challenge(client, password)
    validate(client, "totp", phone.now())
    assert led_to(confirm(client)) == "/"
    back = client.get("/security/challenge/confirm/")
    assert led_to(back) == "/"
    home = client.get("/")
    assert "Welcome, Ani" in home.text
    assert "expired" not in home.text


@pytest.mark.parametrize("next_person", ["not you", "own name"])
def test_the_security_question_left_unanswered_ends_with_the_sign_in(
    client, make_user, user, password, phone, settings, next_person
):
    """Ani proved her password and code; only her security question (seeds/003) is left when
    she walks away. The next person at the browser presses "Not you?" or types their own name:
    her question is no longer asked there, where answering it (often guessable: a city of
    birth) would have signed them in as her."""
    settings.ACCOUNTS_SECURITY_QUESTION_ENABLED = True
    question_policy.set_question(user, "Kota lahir?", "Mataram")
    make_user("budi")
    to_challenge(client, password)
    validate(client, "totp", phone.now())
    assert led_to(confirm(client)) == "/accounts/login/question/"
    if next_person == "not you":
        client.post("/accounts/login/restart/")
    else:
        client.post("/accounts/login/", {"username": "budi"})
    assert client.get("/accounts/login/question/")["Location"] == "/accounts/login/"
    client.post("/accounts/login/question/", {"answer": "Mataram"})
    assert SESSION_KEY not in client.session
