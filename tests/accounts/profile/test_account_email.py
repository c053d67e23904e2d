"""One verified address: the Email tab's confirmed address becomes the account e-mail, the old
address is told, and password reset then uses the new one."""

import re

import pytest
from django.core import mail
from django.test import Client, TestCase

from accounts.models import AuditEvent
from mfa.models import EmailDevice
from tests.conftest import prove_account_email, sign_in

pytestmark = pytest.mark.django_db

CODE = re.compile(r"^\s+(\d{6})\s*$", re.MULTILINE)


def test_changing_the_address_on_the_email_tab_changes_the_account_email(user, password):
    browser = Client()
    sign_in(browser, user.username, password)
    prove_account_email(browser, "/security/email/")  # a first factor: mfa.binding
    mail.outbox.clear()
    with TestCase.captureOnCommitCallbacks(execute=True):
        browser.post("/security/email/", {"email": "ani.new@example.org"})
    [code_mail] = mail.outbox
    assert code_mail.to == ["ani.new@example.org"]
    code = CODE.search(code_mail.body).group(1)
    with TestCase.captureOnCommitCallbacks(execute=True):
        browser.post("/security/email/verify/", {"code": code})

    user.refresh_from_db()
    assert user.email == "ani.new@example.org"
    assert EmailDevice.objects.get(user=user).email == "ani.new@example.org"
    notice = next(m for m in mail.outbox if m.to == ["ani@example.com"])
    assert "an*****@example.org" in notice.body and "ani.new@" not in notice.body
    assert AuditEvent.objects.filter(kind="email.changed", user=user).exists()
    assert "ani.new@example.org" in browser.get("/accounts/profile/").content.decode()

    # Forgot password now answers to the new address only.
    mail.outbox.clear()
    with TestCase.captureOnCommitCallbacks(execute=True):
        Client().post("/accounts/password/forgot/", {"email": "ani@example.com", "username": "ani"})
    assert not mail.outbox
    with TestCase.captureOnCommitCallbacks(execute=True):
        Client().post(
            "/accounts/password/forgot/", {"email": "ani.new@example.org", "username": "ani"}
        )
    assert [m.to for m in mail.outbox] == [["ani.new@example.org"]]


def test_a_wrong_code_changes_nothing(user, password):
    browser = Client()
    sign_in(browser, user.username, password)
    with TestCase.captureOnCommitCallbacks(execute=True):
        browser.post("/security/email/", {"email": "mallory@example.org"})
    browser.post("/security/email/verify/", {"code": "000000"})
    user.refresh_from_db()
    assert user.email == "ani@example.com"
    assert not AuditEvent.objects.filter(kind="email.changed").exists()
