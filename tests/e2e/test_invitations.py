"""A person invited by an admin opens the mail's link in Chromium, chooses a password, sets up
the second factor the policy requires and reaches Home; the used link then says so."""

import re

import pyotp
import pytest

from accounts import lifecycle
from accounts.models import User
from tests.e2e.person import Inbox, Person

INVITE_LINK = re.compile(r"https?://\S+/accounts/invitation/\S+")
NEW_PASSWORD = "a long new passphrase 42"


@pytest.fixture
def invited(db, settings, live_server, make_user):
    settings.SSO_BASE_URL = live_server.url
    boss = make_user("boss", is_staff=True)

    def invite(username: str = "citra", full_name: str = "Citra Lestari") -> User:
        user = User(username=username, email=f"{username}@example.com", full_name=full_name)
        user.set_unusable_password()
        user.save()
        lifecycle.send_invitation(user, actor=boss)
        return user

    return invite


def _link(inbox: Inbox, count: int = 1) -> str:
    return inbox._found(INVITE_LINK, count)[count - 1]


def test_invited_person_sets_a_password_and_a_factor_then_reaches_home(
    person: Person, inbox: Inbox, invited, settings
):
    settings.MFA_REQUIRED_FOR = "all"
    invited()
    link = _link(inbox)
    assert link.startswith(settings.SSO_BASE_URL)

    person.page.goto(link)
    person.sees_heading("Welcome: choose your password")
    person.sees("Your username is citra.")
    person.fill("New password", "citra")
    person.fill("New password confirmation", "citra")
    person.click("Save password")
    person.sees("This password is too short.")
    person.fill("New password", NEW_PASSWORD)
    person.fill("New password confirmation", NEW_PASSWORD)
    person.look("70-invitation-accept", phone=True)
    person.click("Save password")

    person.sees_heading("Set up a second factor")
    person.click(re.compile("^Authenticator app"), role="link")
    key = person.page.locator("figure").get_by_role("code").inner_text()
    person.fill("Code", pyotp.TOTP(re.sub(r"\s+", "", key)).now())
    person.click("Verify")
    person.confirm_account_email(lambda: inbox.code(1))  # the first factor: mfa.binding
    person.fill("Code", pyotp.TOTP(re.sub(r"\s+", "", key)).now())
    person.click("Verify")
    person.sees("Your authenticator app is on.")
    person.page.goto("/")
    person.is_home("Citra Lestari")

    # The link worked once.
    person.page.goto(link)
    person.sees_heading("This invitation cannot be used")
    person.sees("This invitation was already used to choose a password.")
    person.look("71-invitation-used")


def test_in_indonesian_and_a_replaced_link(orang: Person, inbox: Inbox, invited):
    user = invited("dewi", "Dewi Sartika")
    first = _link(inbox)
    lifecycle.send_invitation(user, actor=None)
    second = _link(inbox, 2)

    orang.page.goto(first)
    orang.sees_heading("Undangan ini tidak dapat digunakan")
    orang.sees(re.compile("Undangan yang lebih baru telah dikirim"))
    orang.look()
    orang.page.goto(second)
    orang.sees_heading("Selamat datang: pilih kata sandi Anda")
    orang.look()
    orang.page.get_by_label("Kata sandi baru", exact=True).fill(NEW_PASSWORD)
    orang.page.get_by_label("Ulangi kata sandi baru", exact=True).fill(NEW_PASSWORD)
    orang.click("Simpan kata sandi")
    orang.sees_heading("Selamat datang, Dewi Sartika")
