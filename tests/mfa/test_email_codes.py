"""E-mail codes: every case of seeds/003 Table 2, plus the binding of seeds/001."""

from datetime import timedelta

import pytest
from django.contrib.auth import SESSION_KEY
from django.core import mail
from django.test import Client
from django.utils import timezone

from mfa import codes
from mfa.models import CodeChallenge, EmailDevice
from tests.conftest import led_to
from tests.mfa.conftest import (
    confirm,
    last_code,
    run_on_commit,
    to_challenge,
    to_code_page,
    validate,
)

START = "2026-11-21 09:00:00+07:00"


@pytest.fixture(autouse=True)
def _fixed_clock(time_machine):
    time_machine.move_to(START, tick=False)
    return time_machine


def test_code_is_mailed_to_the_factor_address_only(client, user, password, email_factor):
    to_code_page(client, password)
    page = client.get("/security/challenge/email/")
    assert "A code sent to a•••@example.com" in page.text
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["ani.codes@example.com"]
    assert "expires in 5 minutes" in mail.outbox[0].body
    code = last_code()
    challenge = CodeChallenge.objects.get(user=user)
    assert code not in challenge.code_hash and len(challenge.code_hash) == 64  # only a hash
    validate(client, "email", code)
    assert led_to(confirm(client)) == "/"
    assert client.session[SESSION_KEY] == str(user.pk)


def test_code_works_once(client, user, password, email_factor):
    to_code_page(client, password)
    code = last_code()
    assert led_to(validate(client, "email", code)) == "/security/challenge/confirm/"
    challenge = CodeChallenge.objects.get(user=user)
    assert challenge.used_at is not None
    again = codes.check_code(user, challenge.attempt_id, "email", challenge.purpose, code)
    assert again.status == codes.NO_CODE
    # Posted again by the page (a reload before portal.js gave the Verified page its address),
    # the code is not checked again: that page is the answer (tests/test_in_place.py).
    assert led_to(validate(client, "email", code)) == "/security/challenge/confirm/"


def test_expired_code_is_refused(client, user, password, email_factor, _fixed_clock):
    to_code_page(client, password)
    code = last_code()
    _fixed_clock.move_to(timezone.now() + timedelta(minutes=5, seconds=1), tick=False)
    response = validate(client, "email", code)
    assert "That code has expired" in response.text
    assert SESSION_KEY not in client.session


def test_code_valid_just_before_five_minutes(client, user, password, email_factor, _fixed_clock):
    to_code_page(client, password)
    _fixed_clock.move_to(timezone.now() + timedelta(minutes=4, seconds=59), tick=False)
    assert led_to(validate(client, "email", last_code())) == "/security/challenge/confirm/"


def test_resend_works_after_the_cooldown_and_kills_the_old_code(
    client, user, password, email_factor, _fixed_clock
):
    to_code_page(client, password)
    old = last_code()
    early = run_on_commit(client.post, "/security/challenge/email/resend/", follow=True)
    assert "Wait" in early.text and "before asking for a new code" in early.text
    assert len(mail.outbox) == 1
    _fixed_clock.move_to(timezone.now() + timedelta(seconds=31), tick=False)
    resent = run_on_commit(client.post, "/security/challenge/email/resend/", follow=True)
    assert "The previous code no longer works." in resent.text
    assert len(mail.outbox) == 2
    new = last_code()
    if new != old:
        assert "not right" in validate(client, "email", old).text
    assert led_to(validate(client, "email", new)) == "/security/challenge/confirm/"


def test_third_send_is_the_last_then_blocked(client, user, password, email_factor, _fixed_clock):
    to_code_page(client, password)
    for _ in range(2):
        _fixed_clock.move_to(timezone.now() + timedelta(seconds=31), tick=False)
        run_on_commit(client.post, "/security/challenge/email/resend/")
    assert len(mail.outbox) == 3
    _fixed_clock.move_to(timezone.now() + timedelta(seconds=31), tick=False)
    blocked = run_on_commit(client.post, "/security/challenge/email/resend/", follow=True)
    assert "Too many codes were sent" in blocked.text
    assert len(mail.outbox) == 3
    # A new sign-in attempt does not lift the block.
    other = Client()
    again = to_challenge(other, password)  # the picker, shown in place
    assert "Too many codes were sent" in again.text
    assert len(mail.outbox) == 3


def test_block_lifts_after_a_while(client, user, password, email_factor, _fixed_clock):
    to_code_page(client, password)
    for _ in range(3):
        _fixed_clock.move_to(timezone.now() + timedelta(seconds=31), tick=False)
        run_on_commit(client.post, "/security/challenge/email/resend/")
    assert len(mail.outbox) == 3
    _fixed_clock.move_to(timezone.now() + timedelta(minutes=16), tick=False)
    fresh = Client()
    to_code_page(fresh, password)
    assert len(mail.outbox) == 4


def test_five_wrong_tries_and_a_resend_does_not_reset_them(
    client, user, password, email_factor, _fixed_clock
):
    to_code_page(client, password)
    for _ in range(3):
        assert "tries left" in validate(client, "email", "000001").text
    _fixed_clock.move_to(timezone.now() + timedelta(seconds=31), tick=False)
    run_on_commit(client.post, "/security/challenge/email/resend/")
    assert "1 try left" in validate(client, "email", "000001").text
    last_try = validate(client, "email", "000001")
    assert last_try["Location"] == "/accounts/login/"
    assert SESSION_KEY not in client.session
    assert CodeChallenge.objects.get(user=user).failures == 5


def test_code_of_user_a_never_signs_in_user_b(client, make_user, password):
    ani = make_user("ani")
    budi = make_user("budi")
    EmailDevice.objects.create(user=ani, name="Email", email="ani@example.com")
    EmailDevice.objects.create(user=budi, name="Email", email="budi@example.com")
    to_code_page(client, password, username="ani")
    ani_code = last_code()
    attacker = Client()
    to_code_page(attacker, password, username="budi")
    budi_code = last_code()
    if ani_code != budi_code:
        assert "not right" in validate(attacker, "email", ani_code).text
    assert SESSION_KEY not in attacker.session


def test_code_of_another_attempt_never_works(client, user, password, email_factor):
    first = Client()
    to_code_page(first, password)
    code = last_code()
    to_code_page(client, password)  # another attempt: its own code went out
    if last_code() != code:
        assert "not right" in validate(client, "email", code).text
    assert SESSION_KEY not in client.session
