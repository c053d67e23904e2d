"""Every kind of mail the portal sends, read back from a real SMTP server with Python's
``email`` package as a mail client reads it: multipart (plain text and HTML), links a person
can open (absolute, under SSO_BASE_URL), a Message-ID of the portal's domain, a subject that
decodes to exactly its text, and wording for its own purpose."""

import re
from email.message import EmailMessage
from email.utils import parseaddr

import pytest
from django.test import TestCase
from django.utils import translation

from accounts.notices import mail_new_device_alert
from accounts.password.reset import mail_reset_link
from mfa import codes, flows, notices
from mfa.models import CodeChallenge

BASE_URL = "https://sso.example.go.id"
SITE = "Portal Layanan Tunggal \u2013 Uji"  # an en dash: a non-ASCII subject
URL = re.compile(r"(?:https?://|/)[^\s<>\"')]+")


@pytest.fixture(autouse=True)
def _english():
    """Mails are written in the language active when they are asked for (a page's language):
    English here, unless a test says otherwise."""
    with translation.override("en"):
        yield


@pytest.fixture
def smtp(smtp_server, settings):
    inbox, port = smtp_server
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.SSO_BASE_URL = BASE_URL
    settings.SSO_SITE_NAME = SITE
    return inbox


def only_mail(smtp) -> EmailMessage:
    [message] = smtp.wait_for(1)
    message.raw = smtp.raw[0]
    return message


def read(message: EmailMessage) -> tuple[str, str]:
    """The plain text and the HTML of a mail, checking what every mail must be."""
    assert message.get_content_type() == "multipart/alternative"
    text = message.get_body(preferencelist=("plain",))
    html = message.get_body(preferencelist=("html",))
    assert text is not None and html is not None
    assert text.get_content_charset() == html.get_content_charset() == "utf-8"
    plain, markup = text.get_content(), html.get_content()
    # Links a mail client can open: absolute, on the portal's address; none relative.
    for found in URL.findall(plain):
        assert found.startswith(BASE_URL + "/"), found
    for href in re.findall(r'href="([^"]+)"', markup):
        assert href.startswith(BASE_URL + "/"), href
    assert "(/" not in plain
    # The Message-ID names the portal's domain, not the machine's.
    assert re.fullmatch(r"<[^@\s]+@sso\.example\.go\.id>", message["Message-ID"])
    # The raw header is RFC 2047-encoded, starts right after "Subject:" and decodes to the text.
    raw_subject = message.raw.split(b"\nSubject:", 1)[1].split(b"\n", 1)[0]
    assert raw_subject.startswith(b" =?utf-8?"), raw_subject
    assert message["Subject"] == message["Subject"].strip()
    assert "\n" not in message["Subject"]
    assert SITE in message["Subject"] or SITE in plain
    assert "<html" in markup and "#0b5cad" in markup  # the portal's look
    return plain, markup


def test_sign_in_code(smtp, user, email_factor):
    with TestCase.captureOnCommitCallbacks(execute=True):
        codes.request_code(
            user, "email", email_factor.email, "attempt-1", CodeChallenge.Purpose.SIGNIN
        )
    message = only_mail(smtp)
    plain, markup = read(message)
    assert message["Subject"].startswith(f"Your {SITE} code: ")
    assert parseaddr(message["To"])[1] == email_factor.email
    assert f"Your {SITE} sign-in code is:" in plain
    assert "expires in 5 minutes" in plain
    assert "If you did not try to sign in" in plain
    assert f"{BASE_URL}/accounts/password/change/" in plain
    code = re.search(r"^\s+(\d{6})\s*$", plain, re.MULTILINE).group(1)
    assert code in markup


def test_address_confirmation_code_is_not_about_signing_in(smtp, user):
    with TestCase.captureOnCommitCallbacks(execute=True), translation.override("id"):
        codes.request_code(user, "email", "baru@example.com", "enrol-1", "enrol")
    plain, _markup = read(only_mail(smtp))
    assert f"Kode Anda untuk mengonfirmasi alamat ini di {SITE} adalah:" in plain
    assert "mencoba masuk" not in plain  # not "if you did not try to sign in"
    assert "alamat ini tidak ditambahkan ke akun mana pun" in plain


def test_notice_of_a_change_the_user_made(smtp, user):
    with TestCase.captureOnCommitCallbacks(execute=True):
        notices.notify_change(user, "totp_added")
    message = only_mail(smtp)
    plain, markup = read(message)
    assert message["Subject"] == f"Security change on your {SITE} account"
    assert "An authenticator app was added to your account." in plain
    assert "If you made this change, there is nothing to do." in plain
    assert f"{BASE_URL}/security/" in plain
    assert f'href="{BASE_URL}/security/"' in markup


def test_notice_of_an_admins_reset_does_not_ask_if_it_was_you(smtp, user, phone):
    with TestCase.captureOnCommitCallbacks(execute=True):
        flows.reset_mfa(user)
    plain, _markup = read(only_mail(smtp))
    assert "An administrator reset the second factors of your account." in plain
    assert "If this was you" not in plain and "If you made this change" not in plain
    assert "asked to set up a second factor again" in plain


def test_new_device_alert(smtp, user):
    mail_new_device_alert(user, "Chrome on Windows", "203.0.113.9", "id")
    message = only_mail(smtp)
    plain, _markup = read(message)
    assert message["Subject"] == f"Proses masuk baru ke akun {SITE} Anda"
    assert "Chrome on Windows" in plain and "203.0.113.9" in plain
    assert f"{BASE_URL}/security/" in plain


def test_password_reset_link(smtp, user, client):
    mail_reset_link(user, "en")
    message = only_mail(smtp)
    plain, markup = read(message)
    assert message["Subject"] == f"Reset your {SITE} password"
    [link] = re.findall(re.escape(BASE_URL) + r"/accounts/password/reset/\S+/", plain)
    assert f'href="{link}"' in markup
    page = client.get(link.removeprefix(BASE_URL), follow=True)
    assert page.status_code == 200
    assert "expires in 60 minutes" in plain
