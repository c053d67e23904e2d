"""Limits that stop abuse must not stop a first setup: confirming an address and signing in
have separate send budgets, and an admin's Reset MFA or Unlock gives the person full budgets
and a clean failure count again."""

from datetime import timedelta

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from accounts.models import User
from mfa import codes
from mfa.models import CodeChallenge, EmailDevice
from tests.conftest import prove_account_email, sign_in
from tests.mfa.conftest import run_on_commit, to_code_page

TOO_MANY = "Too many codes were sent"


@pytest.fixture
def clock(time_machine):
    time_machine.move_to("2026-11-21 09:00:10+07:00", tick=False)
    return time_machine


@pytest.fixture
def admin_client(make_user) -> Client:
    admin = Client()
    admin.force_login(make_user("root", is_staff=True, is_superuser=True))
    return admin


def mistype_addresses(client, count: int):
    """The Email tab: a code to ``count`` different (mistyped) addresses; the last answer."""
    page = None
    for n in range(count):
        page = run_on_commit(
            client.post, "/security/email/", {"email": f"ani.typo{n}@example.com"}, follow=True
        )
    return page


def test_mistyped_addresses_in_setup_do_not_block_sign_in_codes(client, user, password, clock):
    sign_in(client, "ani", password)
    EmailDevice.objects.create(user=user, name="Email", email="ani.codes@example.com")
    # This session proved only the password: the account e-mail proof comes first (mfa.binding).
    prove_account_email(client, "/security/email/")
    mail.outbox.clear()
    assert TOO_MANY in mistype_addresses(client, 4).text
    assert len(mail.outbox) == 3

    other = Client()
    to_code_page(other, password)
    assert TOO_MANY not in other.get("/security/challenge/email/").text
    assert mail.outbox[-1].to == ["ani.codes@example.com"]
    assert len(mail.outbox) == 4


def test_sign_in_codes_spent_do_not_block_setting_up_an_address(client, user, password, clock):
    # Signed in with the password before the e-mail factor existed, and the account e-mail
    # proof for a first factor made (mfa.binding: that code is one of the sign-in budget).
    settings_page = Client()
    sign_in(settings_page, "ani", password)
    prove_account_email(settings_page, "/security/email/")
    sent = len(mail.outbox)

    EmailDevice.objects.create(user=user, name="Email", email="ani.codes@example.com")
    to_code_page(client, password)
    for _ in range(3):
        clock.move_to(timezone.now() + timedelta(seconds=31), tick=False)
        run_on_commit(client.post, "/security/challenge/email/resend/")
    assert len(mail.outbox) == sent + 2  # the budget is spent: the third resend was refused
    email, signin = CodeChallenge.Channel.EMAIL, CodeChallenge.Purpose.SIGNIN
    assert codes.blocked_for(user.pk, email, signin)
    EmailDevice.objects.filter(user=user).delete()

    page = mistype_addresses(settings_page, 1)
    assert TOO_MANY not in page.text
    assert mail.outbox[-1].to == ["ani.typo0@example.com"]


def reset_mfa(admin: Client, user: User):
    return run_on_commit(
        admin.post,
        "/admin/accounts/user/",
        {"action": "reset_mfa", "_selected_action": [user.pk], "post": "yes"},
        follow=True,
    )


def test_reset_mfa_clears_send_blocks_and_failure_counts(
    client, user, password, clock, admin_client, settings
):
    sign_in(client, "ani", password)
    prove_account_email(client, "/security/email/")
    assert TOO_MANY in mistype_addresses(client, 4).text
    stranger = Client()
    for _ in range(settings.ACCOUNTS_LOCKOUT_THRESHOLD - 1):
        sign_in(stranger, "ani", "wrong password")

    assert "MFA reset for 1 account." in reset_mfa(admin_client, user).text

    sign_in(stranger, "ani", "one more wrong password")  # would have locked the account
    user.refresh_from_db()
    assert not user.is_locked
    sent = len(mail.outbox)
    page = mistype_addresses(client, 1)
    assert TOO_MANY not in page.text
    assert len(mail.outbox) == sent + 1
    assert mail.outbox[-1].to == ["ani.typo0@example.com"]


def test_unlock_clears_send_blocks(client, user, password, clock, admin_client):
    EmailDevice.objects.create(user=user, name="Email", email="ani.codes@example.com")
    to_code_page(client, password)
    for _ in range(3):
        clock.move_to(timezone.now() + timedelta(seconds=31), tick=False)
        run_on_commit(client.post, "/security/challenge/email/resend/")
    assert len(mail.outbox) == 3, [m.subject for m in mail.outbox]

    page = admin_client.post(
        "/admin/accounts/user/",
        {"action": "unlock_accounts", "_selected_action": [user.pk]},
        follow=True,
    )
    assert "1 account unlocked." in page.text

    again = Client()
    to_code_page(again, password)
    assert TOO_MANY not in again.get("/security/challenge/email/").text
    assert len(mail.outbox) == 4
