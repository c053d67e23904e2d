"""A person registers in Chromium, opens the mailed link, signs in and reaches Home; in
Indonesian, a taken address gives the same page and a mail to its owner."""

import re

import pytest

from accounts.models import User
from tests.e2e.person import Inbox, Person

VERIFY_LINK = re.compile(r"https?://\S+/accounts/register/verify/\S+")
NEW_PASSWORD = "a long new passphrase 42"


@pytest.fixture(autouse=True)
def signup_open(settings, live_server):
    settings.ACCOUNTS_SIGNUP = "open"
    settings.ACCOUNTS_TERMS_URL = "https://example.go.id/terms"
    settings.SSO_BASE_URL = live_server.url


def test_register_verify_and_sign_in(person: Person, inbox: Inbox):
    page = person.page
    page.goto("/accounts/login/")
    person.click("Create an account", role="link")
    person.sees_heading("Create an account")
    person.fill("Username", "rina.siti")
    person.fill("Full name", "Rina Siti")
    person.fill("Email", "rina@example.com")
    person.fill("Password", NEW_PASSWORD)
    person.fill("Password again", NEW_PASSWORD)
    person.click("Create account")
    person.sees("Accept the terms of use to create an account.")
    person.fill("Password", NEW_PASSWORD)
    person.fill("Password again", NEW_PASSWORD)
    page.get_by_label("I accept the terms of use").check()
    person.look("72-register", phone=True)
    person.click("Create account")
    person.sees_heading("Check your e-mail")
    person.look("73-register-sent")
    assert not User.objects.filter(username="rina.siti").exists()

    link = inbox._found(VERIFY_LINK, 1)[0]
    page.goto(link)
    person.sees_heading("Verify your e-mail address")
    person.look("74-register-verify")
    person.click("Verify and create my account")
    person.sees("Your e-mail address is verified. Sign in to continue.")
    person.choose_password()
    person.type_password(NEW_PASSWORD)
    person.is_home("Rina Siti")

    page.goto(link)
    person.sees_heading("This link cannot be used")
    person.sees(re.compile("This link was already used"))
    person.look()


def test_a_taken_address_in_indonesian_looks_the_same(orang: Person, inbox: Inbox, make_user):
    make_user("budi", email="budi@example.com")
    page = orang.page
    page.goto("/accounts/register/")
    orang.sees_heading("Buat akun")
    orang.fill("Nama pengguna", "budi2")
    orang.fill("Nama lengkap", "Budi Dua")
    orang.fill("Email", "budi@example.com")
    orang.fill("Kata sandi", NEW_PASSWORD)
    orang.fill("Ulangi kata sandi", NEW_PASSWORD)
    page.get_by_label("Saya menerima ketentuan penggunaan").check()
    orang.look()
    orang.click("Buat akun")
    orang.sees_heading("Periksa email Anda")
    orang.look()
    [message] = inbox.smtp.wait_for(1)
    assert message["To"] == "budi@example.com"
    assert "Seseorang mencoba membuat akun" in message.get_body(("plain",)).get_content()
    assert not User.objects.filter(username="budi2").exists()
