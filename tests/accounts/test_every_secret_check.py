"""Every form that verifies a password, code, recovery code or security answer is a counted
attempt (accounts.attempts.check_secret): each wrong answer leaves a failure event and counts
toward the account's limit, which locks the account; then the form refuses without checking.

The forms are discovered: every form class of the portal's apps with a secret field (a
password widget, a code field, or a field named like a secret) must be listed below, either
with the pages that check it or as a form that only sets a new secret. A new form that checks
a secret therefore fails ``test_every_secret_form_is_walked`` until it is walked here too.
"""

import importlib
import pkgutil
import re
import time

import pytest
from django import forms
from django.contrib.auth.forms import SetPasswordForm
from django.test import TestCase
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import audit
from accounts.models import AuditEvent
from accounts.question import flows as question_policy
from accounts.signin.flows import AUTH_TIME_SESSION_KEY
from mfa import binding, recovery
from mfa.forms import CodeField
from mfa.models import EmailDevice
from mfa.sms.models import SmsDevice
from tests.conftest import led_to, post_username, sign_in

PORTAL_PACKAGES = ("accounts", "mfa", "sso")
SECRET_NAMES = {"password", "old_password", "code", "secret", "answer"}
WRONG_PASSWORD = "definitely-wrong-password"
WRONG_CODE = "000000"
LIMIT = 3

# Each form that checks a secret, with the pages (scenarios below) where it is checked.
CHECKED_BY = {
    "accounts.signin.forms.PasswordForm": ["signin_password", "reauth"],
    "accounts.question.forms.SecurityAnswerForm": ["security_question"],
    "accounts.password.forms.CountedPasswordChangeForm": ["password_change"],
    "mfa.forms.PasswordOrCodeForm": ["authenticator_removal"],
    "mfa.forms.CodeForm": [
        "challenge_totp", "challenge_email", "challenge_sms", "authenticator_setup",
        "enrol", "email_verify", "sms_verify", "account_email_proof",
    ],
    "mfa.forms.RecoveryCodeForm": ["challenge_recovery"],
}  # fmt: skip
# Forms whose secret fields verify nothing: they set a new secret, or show a hash's summary.
VERIFIES_NONE = {
    "accounts.question.forms.SecurityQuestionForm",
    "accounts.admin.PortalUserCreationForm",
    "accounts.admin.PortalUserChangeForm",  # the password hash's read-only summary
    "accounts.invitations.forms.AcceptInvitationForm",
    "accounts.registration.forms.SignupForm",
}


def _portal_form_classes() -> dict[str, type]:
    for package_name in PORTAL_PACKAGES:
        package = importlib.import_module(package_name)
        for module in pkgutil.walk_packages(package.__path__, f"{package_name}."):
            if ".migrations" not in module.name and ".management" not in module.name:
                importlib.import_module(module.name)
    found: dict[str, type] = {}
    pending = [forms.BaseForm]
    while pending:
        cls = pending.pop()
        pending.extend(cls.__subclasses__())
        if cls.__module__.split(".")[0] in PORTAL_PACKAGES:
            found[f"{cls.__module__}.{cls.__qualname__}"] = cls
    return found


def _has_secret_field(form_class: type) -> bool:
    return any(
        isinstance(field.widget, forms.PasswordInput)
        or isinstance(field, CodeField)
        or name in SECRET_NAMES
        for name, field in form_class.base_fields.items()
    )


def test_every_secret_form_is_walked():
    secret_forms = {name for name, cls in _portal_form_classes().items() if _has_secret_field(cls)}
    assert secret_forms, "discovery found no form at all"
    unlisted = secret_forms - set(CHECKED_BY) - VERIFIES_NONE
    assert not unlisted, f"forms with a secret field that no test walks: {sorted(unlisted)}"
    assert issubclass(
        _portal_form_classes()["accounts.invitations.forms.AcceptInvitationForm"], SetPasswordForm
    )


# --- The pages, each prepared up to the form that checks the secret -------------------------


def _fresh_session(client, user) -> None:
    """Signed in a moment ago (a recent sign-in, as security changes require)."""
    client.force_login(user)
    session = client.session
    session[AUTH_TIME_SESSION_KEY] = int(time.time())
    session.save()


def _totp(user) -> None:
    TOTPDevice.objects.create(user=user, name="Authenticator", confirmed=True)


def _sign_in_sending_the_code(client, settings) -> None:
    """The only factor sends a code: it goes out with the password (seeds/001)."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        sign_in(client, "ani", settings.TEST_PASSWORD)


def signin_password(client, user, settings):
    post_username(client, "ani")
    return "/accounts/login/password/", {"password": WRONG_PASSWORD}


def reauth(client, user, settings):
    client.force_login(user)  # signed in long ago: no recent proof
    return "/security/reauth/", {"password": WRONG_PASSWORD}


def password_change(client, user, settings):
    _fresh_session(client, user)
    new = "a brand new passphrase 2026"
    data = {"old_password": WRONG_PASSWORD, "new_password1": new, "new_password2": new}
    return "/accounts/password/change/", data


def authenticator_removal(client, user, settings):
    _totp(user)
    _fresh_session(client, user)
    return "/security/authenticator/remove/", {"secret": WRONG_PASSWORD}


def security_question(client, user, settings):
    settings.ACCOUNTS_SECURITY_QUESTION_ENABLED = True
    question_policy.set_question(user, "Kota lahir?", "Mataram")
    assert led_to(sign_in(client, "ani", settings.TEST_PASSWORD)) == "/accounts/login/question/"
    return "/accounts/login/question/", {"answer": "Jakarta"}


def challenge_totp(client, user, settings):
    _totp(user)
    sign_in(client, "ani", settings.TEST_PASSWORD)
    return "/security/challenge/totp/", {"code": WRONG_CODE}


def challenge_email(client, user, settings):
    EmailDevice.objects.create(user=user, name="Email", email="ani.codes@example.com")
    _sign_in_sending_the_code(client, settings)
    return "/security/challenge/email/", {"code": WRONG_CODE}


def challenge_sms(client, user, settings):
    SmsDevice.objects.create(user=user, name="SMS", number="+6281234567889")
    _sign_in_sending_the_code(client, settings)
    return "/security/challenge/sms/", {"code": WRONG_CODE}


def challenge_recovery(client, user, settings):
    _totp(user)
    recovery.generate(user)
    sign_in(client, "ani", settings.TEST_PASSWORD)
    return "/security/challenge/recovery/", {"code": "aaaaa-bbbbb"}


def _proved_session(client, user) -> None:
    """A fresh session that has just proved the account e-mail, as binding a first factor asks
    (mfa.binding; its own code is the ``account_email_proof`` scenario)."""
    _fresh_session(client, user)
    session = client.session
    session[binding.PROVED_AT_SESSION_KEY] = int(time.time())
    session.save()


def authenticator_setup(client, user, settings):
    _proved_session(client, user)
    assert client.get("/security/authenticator/").status_code == 200
    return "/security/authenticator/", {"code": WRONG_CODE}


def enrol(client, user, settings):
    """A relying app asks a signed-in user without a factor for one (step-up to enrolment),
    who has just proved the account e-mail (mfa.binding)."""
    _proved_session(client, user)
    assert client.get("/security/step-up/").url.endswith("/security/enrol/")
    return "/security/enrol/", {"code": WRONG_CODE}


def account_email_proof(client, user, settings):
    """Before a first factor is bound: the code mailed to the account's address."""
    _fresh_session(client, user)
    with TestCase.captureOnCommitCallbacks(execute=True):
        client.post("/security/confirm-account/", {"action": "send"})
    return "/security/confirm-account/", {"action": "verify", "code": WRONG_CODE}


def email_verify(client, user, settings):
    _proved_session(client, user)
    with TestCase.captureOnCommitCallbacks(execute=True):
        client.post("/security/email/", {"email": "ani.new@example.com"})
    return "/security/email/verify/", {"code": WRONG_CODE}


def sms_verify(client, user, settings):
    _proved_session(client, user)
    with TestCase.captureOnCommitCallbacks(execute=True):
        client.post("/security/sms/", {"number": "0812 3456 7889"})
    return "/security/sms/verify/", {"code": WRONG_CODE}


SCENARIOS = {
    f.__name__: f
    for f in (
        signin_password, reauth, password_change, authenticator_removal, security_question,
        challenge_totp, challenge_email, challenge_sms, challenge_recovery,
        authenticator_setup, enrol, email_verify, sms_verify, account_email_proof,
    )
}  # fmt: skip


def test_every_listed_page_has_a_scenario():
    assert {page for pages in CHECKED_BY.values() for page in pages} == set(SCENARIOS)


@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_wrong_secrets_are_counted_and_lock_the_account(client, user, password, settings, scenario):
    settings.TEST_PASSWORD = password
    settings.ACCOUNTS_LOCKOUT_THRESHOLD = LIMIT
    settings.MFA_MAX_FAILURES_PER_DAY = LIMIT
    settings.MFA_CODE_MAX_FAILURES = LIMIT + 5  # the account limit, not the attempt's, is walked
    settings.OTP_TOTP_THROTTLE_FACTOR = 0  # every try is checked: the worst case
    url, data = SCENARIOS[scenario](client, user, settings)

    def failures() -> int:
        return AuditEvent.objects.filter(user=user, result=audit.FAILURE).count()

    for n in range(1, LIMIT + 1):
        response = client.post(url, data)
        assert response.status_code in (200, 302)
        assert failures() == n, f"wrong answer {n} at {url} was not counted"
    user.refresh_from_db()
    assert user.is_locked, f"{LIMIT} wrong answers at {url} did not lock the account"
    client.post(url, data)
    assert failures() == LIMIT, f"{url} checked a secret of a locked account"


def test_django_admin_password_change_is_the_portals_counted_form(client, make_user, password):
    """Django's own admin page checks the old password with no limit, no audit and no recent
    sign-in; the admin's link leads to the portal's password change instead."""
    from mfa.rollout.models import Level, OverallPolicy

    OverallPolicy.objects.create(level=Level.NONE, staff_level=Level.NONE)  # no enrolment first
    staff = make_user("boss", is_staff=True, is_superuser=True)
    _fresh_session(client, staff)
    page = client.get("/admin/password_change/")
    assert page.status_code == 302
    assert page["Location"] == "/accounts/password/change/"
    new = "a brand new passphrase 2026"
    for _ in range(LIMIT + 2):
        client.post(
            "/admin/password_change/",
            {"old_password": WRONG_PASSWORD, "new_password1": new, "new_password2": new},
        )
    client.post(
        "/admin/password_change/",
        {"old_password": password, "new_password1": new, "new_password2": new},
    )
    staff.refresh_from_db()
    assert staff.check_password(password), "the admin page changed the password unchecked"


@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_a_reload_after_a_wrong_secret_asks_for_the_page(
    client, user, password, settings, scenario
):
    """The page that says a secret was wrong is marked for portal.js to make its history entry
    a GET: a reload must not post the wrong secret again, one more failure toward the lock (a
    redirect needs nothing: the browser's entry is already a GET). The GET is of the page's
    address: that of the form (data-reload-as-get), or the tab's when the form was posted to
    an address that only takes a POST (data-address), and it shows the same page again."""
    settings.TEST_PASSWORD = password
    url, data = SCENARIOS[scenario](client, user, settings)
    response = client.post(url, data)
    if response.status_code == 302:
        return
    body = re.search(r"<body([^>]*)>", response.text).group(1)
    address = re.fullmatch(r' data-address="([^"]+)"', body)
    assert address or body == " data-reload-as-get"
    reload_address = address.group(1) if address else url
    reloaded = client.get(reload_address)
    assert reloaded.status_code == 200
    # The language menu returns to the same address.
    assert f'<input name="next" type="hidden" value="{reload_address}">' in response.text
    assert _heading(reloaded.text) == _heading(response.text)


def _heading(page: str) -> str:
    """The page's first headings (the settings tab's title after the page's)."""
    return " ".join(re.findall(r"<h[12][^>]*>(.*?)</h[12]>", page)[:2])
