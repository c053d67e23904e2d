"""Forgot password (Lupa Password): email and username, a single-use one-hour link."""

import re
from datetime import timedelta

import pytest
from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.core import mail
from django.test import Client, TestCase
from django.utils import timezone

from tests.conftest import led_to, sign_in

NEW_PASSWORD = "a brand new passphrase 2026"
SENT = "If the email and username belong to an account"


def ask_reset(client, email: str, username: str):
    # The mail task is queued when the request's transaction commits.
    with TestCase.captureOnCommitCallbacks(execute=True):
        return client.post(
            "/accounts/password/forgot/", {"email": email, "username": username}, follow=True
        )


def link_from_mail() -> str:
    assert len(mail.outbox) == 1
    base = re.escape(settings.SSO_BASE_URL)
    match = re.search(base + r"(/accounts/password/reset/\S+/)", mail.outbox[0].body)
    assert match, mail.outbox[0].body
    return match.group(1)


def set_new_password(client, link: str, password: str = NEW_PASSWORD):
    form_page = client.get(link, follow=True)
    return client.post(
        form_page.request["PATH_INFO"],
        {"new_password1": password, "new_password2": password},
        follow=True,
    )


def test_page_asks_for_email_and_username(client, db):
    page = client.get("/accounts/password/forgot/")
    assert 'name="email"' in page.text and 'name="username"' in page.text


def test_matching_email_and_username_mail_a_link(client, user):
    response = ask_reset(client, "ani@example.com", "ani")
    assert SENT in response.text
    assert mail.outbox[0].to == ["ani@example.com"]
    assert "expires in 60 minutes" in mail.outbox[0].body


@pytest.mark.parametrize(
    ("email", "username"),
    [("ani@example.com", "budi"), ("budi@example.com", "ani"), ("nobody@example.com", "ghost")],
)
def test_mismatch_answers_the_same_and_mails_nothing(client, user, email, username):
    response = ask_reset(client, email, username)
    assert response.status_code == 200
    assert SENT in response.text
    assert mail.outbox == []


def test_link_works_once_and_does_not_sign_in(client, user, password):
    ask_reset(client, "ani@example.com", "ani")
    link = link_from_mail()
    done = set_new_password(client, link)
    assert "Your password has been changed" in done.text
    assert SESSION_KEY not in client.session  # a reset never signs in (or skips MFA)
    again = client.get(link, follow=True)
    assert "This link is invalid or has expired" in again.text
    assert led_to(sign_in(client, "ani", password)) == ""
    assert led_to(sign_in(client, "ani", NEW_PASSWORD)) == "/"


def test_link_expires_after_an_hour(client, user, time_machine):
    time_machine.move_to(timezone.now(), tick=False)
    ask_reset(client, "ani@example.com", "ani")
    link = link_from_mail()
    time_machine.move_to(timezone.now() + timedelta(minutes=61), tick=False)
    page = client.get(link, follow=True)
    assert "This link is invalid or has expired" in page.text


def test_reset_ends_every_other_session(client, user, password):
    other_device = Client()
    sign_in(other_device, "ani", password)
    assert other_device.get("/").status_code == 200
    ask_reset(client, "ani@example.com", "ani")
    set_new_password(client, link_from_mail())
    response = other_device.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize(
    ("new_password", "message"),
    [
        ("short-pw", "This password is too short. It must contain at least 12 characters."),
        ("123456789012345", "This password is entirely numeric."),
        ("password1234", "This password is too common."),
        ("x" * 129, "This password is too long. It must contain at most 128 characters."),
        ("ani@example.com1", "The password is too similar to the"),
    ],
)
def test_weak_new_passwords_are_refused(client, user, password, new_password, message):
    ask_reset(client, "ani@example.com", "ani")
    response = set_new_password(client, link_from_mail(), new_password)
    assert message in response.text
    assert led_to(sign_in(client, "ani", password)) == "/"


def test_long_passwords_are_never_truncated(client, user):
    long_password = "k" * 127 + "1"
    ask_reset(client, "ani@example.com", "ani")
    set_new_password(client, link_from_mail(), long_password)
    assert led_to(sign_in(client, "ani", "k" * 127 + "2")) == ""
    assert led_to(sign_in(client, "ani", long_password)) == "/"


def test_mismatched_confirmation_is_a_form_error(client, user):
    ask_reset(client, "ani@example.com", "ani")
    form_page = client.get(link_from_mail(), follow=True)
    response = client.post(
        form_page.request["PATH_INFO"],
        {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD + "x"},
    )
    assert response.status_code == 200
    assert "The two password fields didn" in response.text


def test_tampered_link_is_refused(client, user):
    response = client.get("/accounts/password/reset/MQ/not-a-token/", follow=True)
    assert "This link is invalid or has expired" in response.text


def test_reset_requests_are_rate_limited_per_ip(client, user, settings):
    settings.ACCOUNTS_RESET_REQUESTS_PER_HOUR = 3
    for _ in range(3):
        ask_reset(client, "ani@example.com", "ani")
    response = client.post(
        "/accounts/password/forgot/", {"email": "ani@example.com", "username": "ani"}
    )
    assert response.status_code == 429
    assert len(mail.outbox) == 3
