"""Binding a first factor after a password-only sign-in (NIST SP 800-63B §6.1.2.1), on every
page that binds one: the bind is sent to the account e-mail proof and nothing is stored; after
the proof it works and the user is mailed; and the factor is no second factor of that session.

The Passkeys tab and the SMS tab have the same tests beside their own (tests/passkeys,
tests/sms); the relying apps' view is in tests/oidc/test_step_up_assurance.py and
tests/saml/test_sso.py."""

import re
import time

import pyotp
import pytest
from django.core import mail
from django.http import HttpResponse
from django.test import RequestFactory
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.signin.flows import AUTH_METHODS_SESSION_KEY
from mfa import trust
from mfa.models import CodeChallenge, EmailDevice, RecoveryCode
from sso.mail import absolute_url
from tests.conftest import PROOF_PAGE, led_to, prove_account_email, sign_in
from tests.mfa.conftest import last_code, run_on_commit

pytestmark = pytest.mark.django_db


def proof_page_for(path: str) -> str:
    return f"{PROOF_PAGE}?next={path.replace('/', '%2F')}"


def authenticator_key(client) -> str:
    page = client.get("/security/authenticator/")
    return re.search(r'id="totp-key">([A-Z2-7 ]+)<', page.text).group(1).replace(" ", "")


@pytest.fixture
def password_only(client, user, password):
    assert led_to(sign_in(client, user.username, password)) == "/"
    mail.outbox.clear()
    return client


def test_authenticator_tab_binds_nothing_with_the_password_alone(password_only, user):
    key = authenticator_key(password_only)  # the page shows the QR code as before
    refused = run_on_commit(
        password_only.post, "/security/authenticator/", {"code": pyotp.TOTP(key).now()}
    )
    assert refused["Location"] == proof_page_for("/security/authenticator/")
    assert not TOTPDevice.objects.filter(user=user, confirmed=True).exists()
    assert mail.outbox == []


def test_authenticator_tab_binds_after_the_account_email_proof(password_only, user):
    key = authenticator_key(password_only)
    proved = prove_account_email(password_only, "/security/authenticator/")
    assert proved["Location"] == "/security/authenticator/"
    assert mail.outbox[-1].to == [user.email]  # the code went to the account's address
    done = run_on_commit(
        password_only.post, "/security/authenticator/", {"code": pyotp.TOTP(key).now()}
    )
    assert done.status_code == 302
    assert TOTPDevice.objects.get(user=user).confirmed
    notice = mail.outbox[-1]
    assert notice.to == [user.email]
    assert "An authenticator app was added to your account." in notice.body


def test_email_tab_sends_no_code_to_a_new_address_with_the_password_alone(password_only, user):
    refused = run_on_commit(password_only.post, "/security/email/", {"email": "x@evil.example"})
    assert refused["Location"] == proof_page_for("/security/email/")
    assert mail.outbox == []
    assert not CodeChallenge.objects.exists()
    assert not EmailDevice.objects.exists()
    # Nor do the confirmation steps work on a change waiting from before (an old session).
    session = password_only.session
    session["mfa.email_change"] = {"destination": "x@evil.example", "attempt_id": "email-x"}
    session.save()
    for path in ("/security/email/verify/", "/security/email/resend/"):
        refused = run_on_commit(password_only.post, path, {"code": "123456"})
        assert refused["Location"] == proof_page_for("/security/email/")
    assert mail.outbox == []
    user.refresh_from_db()
    assert user.email == "ani@example.com"


def test_email_tab_binds_after_the_account_email_proof(password_only, user):
    prove_account_email(password_only, "/security/email/")
    run_on_commit(password_only.post, "/security/email/", {"email": "ani.codes@example.com"})
    assert mail.outbox[-1].to == ["ani.codes@example.com"]
    run_on_commit(password_only.post, "/security/email/verify/", {"code": last_code()})
    assert EmailDevice.objects.get(user=user).email == "ani.codes@example.com"
    bodies = [m.body for m in mail.outbox if m.to == ["ani.codes@example.com"]]
    assert any("The email address for sign-in codes was changed." in b for b in bodies)


def test_recovery_codes_need_a_factor_first(password_only, user):
    run_on_commit(password_only.post, "/security/recovery/")
    assert not RecoveryCode.objects.exists()


def test_a_passkey_sign_in_binds_without_the_account_email_proof(client, user):
    """A passkey sign-in proved possession (amr hwk): binding needs nothing more."""
    client.force_login(user)
    session = client.session
    session[AUTH_METHODS_SESSION_KEY] = ["hwk", "user"]
    session["accounts.auth_time"] = time.time()
    session.save()
    key = authenticator_key(client)
    done = run_on_commit(client.post, "/security/authenticator/", {"code": pyotp.TOTP(key).now()})
    assert done["Location"] != proof_page_for("/security/authenticator/")
    assert TOTPDevice.objects.get(user=user).confirmed


def test_an_account_without_an_address_is_told_to_ask_an_administrator(client, make_user, password):
    make_user("tanpa", email="")
    sign_in(client, "tanpa", password)
    refused = client.post("/security/authenticator/", {"code": "123456"})
    page = client.get(refused["Location"])
    assert "Your account has no e-mail address to confirm it's you" in page.text
    assert "Ask an administrator" in page.text
    assert client.post(refused["Location"], {"action": "send"}).status_code == 200
    assert mail.outbox == []


def test_a_factor_bound_after_the_password_is_not_offered_by_step_up(password_only, user):
    key = authenticator_key(password_only)
    prove_account_email(password_only, "/security/authenticator/")
    run_on_commit(password_only.post, "/security/authenticator/", {"code": pyotp.TOTP(key).now()})
    assert TOTPDevice.objects.get(user=user).confirmed

    # An app asks for a second factor: the new one counts from the next sign-in only.
    back = password_only.get("/security/step-up/", {"next": "/accounts/profile/"})
    assert back["Location"] == "/accounts/profile/"
    page = password_only.get("/accounts/profile/")
    assert "counts from your next sign-in" in page.text
    assert password_only.session[AUTH_METHODS_SESSION_KEY] == ["pwd"]


def give_trusted_device_cookie(client, user) -> None:
    """This browser was trusted at an earlier sign-in with a second factor (mfa.trust)."""
    request = RequestFactory().get("/")
    request.session, request.user = client.session, user
    response = HttpResponse()
    trust.trust_device(request, user, remember=True).set_on(response)
    client.cookies.update(response.cookies)


def test_step_up_offers_only_the_factors_the_session_did_not_bind(client, user, email_factor):
    """Signed in with the password alone (a trusted device spared the challenge), an
    authenticator added now is not this session's second factor; the e-mail factor is."""
    give_trusted_device_cookie(client, user)
    client.force_login(user)
    session = client.session
    session[AUTH_METHODS_SESSION_KEY] = ["pwd"]
    session["accounts.auth_time"] = time.time()
    session.save()
    key = authenticator_key(client)
    run_on_commit(client.post, "/security/authenticator/", {"code": pyotp.TOTP(key).now()})
    assert TOTPDevice.objects.get(user=user).confirmed
    assert "An authenticator app was added to your account." in mail.outbox[-1].body

    assert led_to(client.get("/security/step-up/", {"next": "/"})) == "/security/challenge/"
    picker = client.get("/security/challenge/")
    assert 'value="email"' in picker.text
    assert "/security/challenge/totp/" not in picker.text
    assert "A 6-digit code from your authenticator app" not in picker.text
    refused = client.post("/security/challenge/", {"method": "totp"})
    assert refused.status_code == 400
    assert client.get("/security/challenge/totp/").status_code == 400
    assert client.session[AUTH_METHODS_SESSION_KEY] == ["pwd"]


@pytest.mark.parametrize(
    ("language", "purpose", "warning"),
    [
        (
            "en",
            "to confirm it is you before setting up a second factor on",
            "If you are not setting up a second factor, someone may know your password:"
            " change it now at {url}",
        ),
        (
            "id",
            "untuk memastikan bahwa ini memang Anda sebelum menyiapkan faktor kedua di",
            "Jika Anda tidak sedang menyiapkan faktor kedua, seseorang mungkin mengetahui"
            " kata sandi Anda: segera ganti di {url}",
        ),
    ],
)
def test_the_proof_mail_speaks_of_setting_up_a_factor_not_of_signing_in(
    password_only, user, language, purpose, warning
):
    user.preferred_language = language
    user.save(update_fields=["preferred_language"])
    run_on_commit(password_only.post, PROOF_PAGE, {"action": "send"})
    proof = mail.outbox[-1]
    html = proof.alternatives[0][0]
    url = absolute_url(reverse("accounts:password_change"))
    warning = warning.format(url=url)
    for body in (proof.body, re.sub(r"<[^>]+>", "", html)):
        text = " ".join(body.split())
        assert purpose in text
        assert warning in text  # the password change link is absolute, as before
        assert "sign-in code" not in text and "kode masuk" not in text.lower()
        assert "did not try to sign in" not in text and "tidak mencoba masuk" not in text
    assert f'href="{url}"' in html
