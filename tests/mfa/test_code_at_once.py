"""When the only factor sends a code, it is sent right after the password and its page shown
(seeds/001: "the token goes out right after a correct password"); an only authenticator's page
is shown at once too. Recovery codes stay one click away. Anyone with two factors picks a
method, as before."""

from datetime import timedelta

import pytest
from django.contrib.auth import SESSION_KEY
from django.core import mail
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from mfa.models import CodeChallenge, RecoveryCode
from mfa.sms.models import SmsDevice
from tests.conftest import led_to, sign_in
from tests.mfa.conftest import confirm, last_code, run_on_commit, to_challenge, to_code_page

START = "2026-11-21 09:00:00+07:00"


@pytest.fixture(autouse=True)
def clock(time_machine):
    time_machine.move_to(START, tick=False)
    return time_machine


def test_email_only_the_code_is_mailed_with_the_password(client, user, password, email_factor):
    to_code_page(client, password)
    assert [m.to for m in mail.outbox] == [["ani.codes@example.com"]]
    page = client.get("/security/challenge/email/")
    assert "A code sent to a•••@example.com" in page.text
    assert "The code expires in 300 seconds." in page.text
    assert "Choose another method" in page.text
    response = client.post("/security/challenge/email/", {"code": last_code()})
    assert led_to(response) == "/security/challenge/confirm/"
    assert led_to(confirm(client)) == "/"
    assert client.session[SESSION_KEY] == str(user.pk)


def test_email_only_in_indonesian(client, user, password, email_factor):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "id"
    to_code_page(client, password)
    page = client.get("/security/challenge/email/").text
    assert "Kode kedaluwarsa dalam 300 detik." in page
    assert "Pilih metode lain" in page


def test_another_method_leads_to_the_recovery_codes(client, user, password, email_factor):
    RecoveryCode.objects.create(user=user, code_hash="x" * 64)
    to_code_page(client, password)
    picker = client.get("/security/challenge/").text
    assert "Recovery code" in picker and "A code sent to a•••@example.com" in picker


def test_refreshing_the_page_or_the_password_again_sends_no_second_code(
    client, user, password, email_factor, clock
):
    to_code_page(client, password)
    first = last_code()
    client.get("/security/challenge/email/")
    client.get("/security/challenge/email/")
    # Back to the password page and Sign in again, within the resend wait.
    to_code_page(client, password)
    assert len(mail.outbox) == 1
    assert CodeChallenge.objects.get().sends == 1
    response = client.post("/security/challenge/email/", {"code": first})
    assert led_to(response) == "/security/challenge/confirm/"


def test_the_password_again_after_the_resend_wait_is_a_resend(
    client, user, password, email_factor, clock
):
    to_code_page(client, password)
    clock.move_to(timezone.now() + timedelta(seconds=31), tick=False)
    to_code_page(client, password)
    assert len(mail.outbox) == 2
    assert CodeChallenge.objects.get().sends == 2  # the same attempt: the first code died


def test_a_blocked_channel_leads_to_the_picker_with_the_reason(
    client, user, password, email_factor, clock
):
    for _ in range(3):  # three sign-ins spend the sign-in budget (3 per 15 minutes)
        to_code_page(client, password)
        client.cookies.clear()
        clock.move_to(timezone.now() + timedelta(seconds=31), tick=False)
    assert len(mail.outbox) == 3
    response = run_on_commit(sign_in, client, "ani", password)
    assert led_to(response) == "/security/challenge/"
    picker = response.text  # the picker, shown in place with the message
    assert "Too many codes were sent. You can ask for a new one in 15 minutes." in picker
    assert "contact your administrator or helpdesk" in picker
    assert "Unavailable until 9:16 a.m.: too many codes were sent." in picker
    assert 'disabled aria-describedby="blocked-email"' in picker
    assert len(mail.outbox) == 3


def test_two_code_factors_still_pick(client, user, password, email_factor):
    SmsDevice.objects.create(user=user, name="SMS", number="+6281234567889")
    run_on_commit(to_challenge, client, password)
    assert mail.outbox == []
    picker = client.get("/security/challenge/").text
    assert "Choose how to confirm your sign-in." in picker
    assert "A code sent to a•••@example.com" in picker and "+62 812" in picker


def test_authenticator_only_goes_straight_to_its_code(client, user, password, phone):
    RecoveryCode.objects.create(user=user, code_hash="x" * 64)
    response = sign_in(client, "ani", password)
    assert led_to(response) == "/security/challenge/totp/"
    page = client.get("/security/challenge/totp/").text
    assert "A 6-digit code from your authenticator app" in page
    assert "Choose another method" in page
    picker = client.get("/security/challenge/").text  # "Choose another method"
    assert "Recovery code" in picker and "Authenticator" in picker
    response = client.post("/security/challenge/totp/", {"code": phone.now()})
    assert led_to(response) == "/security/challenge/confirm/"
    assert led_to(confirm(client)) == "/"
    assert client.session[SESSION_KEY] == str(user.pk)


def test_an_authenticator_and_email_still_pick(client, user, password, email_factor):
    TOTPDevice.objects.create(user=user, name="Authenticator", confirmed=True)
    run_on_commit(to_challenge, client, password)
    assert mail.outbox == []
    assert "Choose how to confirm your sign-in." in client.get("/security/challenge/").text
