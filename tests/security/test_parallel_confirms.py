"""Parallel Confirm and Continue of one verified second factor or passkey (a double click, or
copies of one browser's cookie sending at one moment), each request in its own thread with its
own database connection: exactly one completes it (one signed-in session, one user-session
row, one signin.complete event, one trusted browser). The others are answered as a sign-in
that has ended, never with an error, and give the browser no session key of their own. (One
that read the session only after the first ended its key finds no session at all, and its
answer deletes the cookie, as Django answers any request for an ended session.) With the
sessions in Redis (sso.sessions) and in the database (Django's engine, the attempt counters
in rows)."""

from base64 import b32encode

import pyotp
import pytest
from django.conf import settings
from django.core.cache import cache
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import audit
from accounts.models import AuditEvent, User, UserSession
from mfa.models import TrustedDevice
from tests.accounts.conftest import use_counters_in
from tests.accounts.test_parallel_guesses import in_parallel, postgres  # noqa: F401
from tests.conftest import led_to, prove_account_email, sign_in
from tests.passkeys.authenticator import ORIGIN, SoftAuthenticator
from tests.passkeys.conftest import SIGNIN_OPTIONS, SIGNIN_VERIFY, post_json, register
from tests.security.test_parallel_answers_at_once import _same_browser

PARALLEL = 8
CONFIRM = "/security/challenge/confirm/"
PASSKEY_CONFIRM = "/security/passkeys/signin/confirm/"
LOGIN = "/accounts/login/"
QUESTION = "/accounts/login/question/"
EXPIRED = "Your sign-in has expired. Please sign in again."
DATABASE_CACHE = {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "sso_cache"}

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("postgres")]


@pytest.fixture(params=["redis", "database"])
def sessions_in(request, settings):
    """Sessions (and the attempt counters) in Redis, as with REDIS_URL, or in the database
    (Django's engine, the counters' rows), as without it."""
    if request.param == "redis":
        use_counters_in("redis", request, settings, "confirms")
        settings.SESSION_ENGINE = "sso.sessions"
    else:
        use_counters_in("database", request, settings, "confirms", other=DATABASE_CACHE)
        settings.SESSION_ENGINE = "django.contrib.sessions.backends.db"
    yield request.param
    cache.clear()


def _authenticator_app(account: User) -> pyotp.TOTP:
    device = TOTPDevice.objects.create(user=account, name="Authenticator", confirmed=True)
    return pyotp.TOTP(b32encode(device.bin_key).decode())


def _key_of(client_or_answer) -> str:
    """The session key a browser holds, or one an answer gives it; '' for none (or the cookie
    deleted)."""
    cookie = client_or_answer.cookies.get(settings.SESSION_COOKIE_NAME)
    return cookie.value if cookie is not None else ""


def _post_at_once(browser: Client, url: str, data: dict) -> list[tuple[Client, object, str]]:
    """``data`` posted to ``url`` by PARALLEL copies of ``browser`` at one moment; each copy
    with its answer and the session key it gives the browser ('' for none, or the key the
    browser had: no key of its own)."""
    copies = [_same_browser(browser) for _ in range(PARALLEL)]
    answered = in_parallel(lambda copy: (copy, copy.post(url, data)), copies)
    assert len(answered) == PARALLEL
    assert [answer.status_code for _copy, answer in answered if answer.status_code >= 500] == []
    had = _key_of(browser)
    keys = [_key_of(answer) for _copy, answer in answered]
    return [
        (copy, answer, key if key != had else "")
        for (copy, answer), key in zip(answered, keys, strict=True)
    ]


def _signs_in_once(account: User, answered: list[tuple[Client, object, str]]) -> Client:
    """Exactly one answer signed ``account`` in (Home, shown in place), with a new session
    key; the others lead to the username page, which says the sign-in has ended, and give the
    browser no session key of their own. Returns the copy that signed in."""
    home = [(copy, answer) for copy, answer, _key in answered if led_to(answer) == "/"]
    assert len(home) == 1, sorted(led_to(answer) for _copy, answer, _key in answered)
    assert [key for _copy, _answer, key in answered if key] == [_key_of(home[0][1])]
    assert UserSession.objects.filter(user=account).count() == 1
    completed = AuditEvent.objects.filter(
        user=account, kind=audit.SIGNIN_COMPLETE, result=audit.SUCCESS
    )
    assert completed.count() == 1
    for copy, answer, _key in answered:
        if answer is home[0][1]:
            continue
        assert answer.status_code == 302 and answer["Location"] == LOGIN
        assert EXPIRED in copy.get(LOGIN).text
    winner = home[0][0]
    assert winner.get("/").context["user"] == account
    return winner


def test_parallel_confirms_of_one_verified_code_sign_in_once(make_user, password, sessions_in):
    account = make_user("ani")
    app = _authenticator_app(account)
    browser = Client()
    assert led_to(sign_in(browser, "ani", password)) == "/security/challenge/totp/"
    assert led_to(browser.post("/security/challenge/totp/", {"code": app.now()})) == CONFIRM

    _signs_in_once(account, _post_at_once(browser, CONFIRM, {"remember": "on"}))
    assert TrustedDevice.objects.filter(user=account).count() == 1


def test_parallel_confirms_of_one_verified_passkey_sign_in_once(
    make_user, password, sessions_in, settings
):
    settings.MFA_PASSKEYS_ORIGINS = [ORIGIN]
    account = make_user("ani")
    elsewhere = Client()  # the passkey registered in another browser, signed out again
    assert led_to(sign_in(elsewhere, "ani", password)) == "/"
    prove_account_email(elsewhere)
    key = SoftAuthenticator()
    assert register(elsewhere, key).status_code == 200
    elsewhere.post("/accounts/logout/")
    UserSession.objects.all().delete()
    AuditEvent.objects.filter(kind=audit.SIGNIN_COMPLETE).delete()
    browser = Client()
    options = post_json(browser, SIGNIN_OPTIONS, {"mode": "discoverable", "signin": ""}).json()
    verified = post_json(browser, SIGNIN_VERIFY, {"credential": key.get(options), "signin": ""})
    assert verified.json()["redirect"] == PASSKEY_CONFIRM
    mark = browser.get(PASSKEY_CONFIRM).context["page_mark"]

    _signs_in_once(account, _post_at_once(browser, PASSKEY_CONFIRM, {"signin": mark}))


def _code_verified_with_the_question_due(make_user, password) -> tuple[User, Client]:
    """ani, with an authenticator and a security question (due: the caller enables it), signed
    in with her password and a right code: her browser is at Confirm and Continue."""
    from accounts.question import flows as question_policy

    account = make_user("ani")
    app = _authenticator_app(account)
    question_policy.set_question(account, "Kota lahir?", "Mataram")
    browser = Client()
    assert led_to(sign_in(browser, "ani", password)) == "/security/challenge/totp/"
    browser.post("/security/challenge/totp/", {"code": app.now()})
    return account, browser


def test_parallel_right_answers_to_the_question_after_a_code_sign_in_once(
    make_user, password, sessions_in, settings
):
    """With the security question after the second factor (seeds/003), the verified code is
    carried to the question's page: its answer, sent at once from copies of the browser, signs
    in once too."""
    settings.ACCOUNTS_SECURITY_QUESTION_ENABLED = True
    # Each answer is a counted attempt, reserved before its check: no more of them at once
    # than the lock's threshold, which would refuse the rest for another reason.
    settings.ACCOUNTS_LOCKOUT_THRESHOLD = PARALLEL + 1
    account, browser = _code_verified_with_the_question_due(make_user, password)
    assert led_to(browser.post(CONFIRM, {"remember": ""})) == QUESTION
    mark = browser.get(QUESTION).context["page_mark"]

    answered = _post_at_once(browser, QUESTION, {"answer": "Mataram", "signin": mark})
    _signs_in_once(account, answered)


def test_parallel_confirms_of_one_code_before_the_question_trust_one_browser(
    make_user, password, sessions_in, settings
):
    """With the security question due, Confirm and Continue of the verified code trusts the
    browser and leads to the question: of parallel ones, one does. Each copy used to trust a
    browser of its own (eight trusted-browser rows and cookies for one code), so a copy of
    the pending cookie got a trusted browser beside the person's."""
    settings.ACCOUNTS_SECURITY_QUESTION_ENABLED = True
    account, browser = _code_verified_with_the_question_due(make_user, password)

    answered = _post_at_once(browser, CONFIRM, {"remember": "on"})
    to_question = [(copy, key) for copy, answer, key in answered if led_to(answer) == QUESTION]
    assert len(to_question) == 1
    assert [key for _copy, _answer, key in answered if key] == [to_question[0][1]]
    assert {led_to(answer) for _copy, answer, _key in answered} == {QUESTION, LOGIN}
    assert TrustedDevice.objects.filter(user=account).count() == 1
    added = AuditEvent.objects.filter(user=account, kind=audit.TRUSTED_DEVICE_ADDED)
    assert added.count() == 1
    winner = to_question[0][0]
    mark = winner.get(QUESTION).context["page_mark"]
    assert led_to(winner.post(QUESTION, {"answer": "Mataram", "signin": mark})) == "/"
    assert winner.get("/").context["user"] == account


def test_parallel_confirms_of_one_step_up_give_the_session_one_new_key(
    make_user, password, sessions_in
):
    """A step-up's Confirm and Continue gives the signed-in session a new key: of parallel
    ones, one does. The others sign nobody out (they found the session's row moved to the new
    key and took it for a sign-out elsewhere) and lead Home, as a Confirm of a finished
    step-up (or, having read the session only after its key was ended, to the username
    page)."""
    account = make_user("ani")
    app = _authenticator_app(account)
    browser = Client()
    browser.force_login(account)
    assert led_to(browser.get("/security/step-up/", {"next": "/"})) == "/security/challenge/"
    assert led_to(browser.post("/security/challenge/totp/", {"code": app.now()})) == CONFIRM

    answered = _post_at_once(browser, CONFIRM, {"remember": ""})
    keys = [(copy, key) for copy, _answer, key in answered if key]
    assert len(keys) == 1
    assert {led_to(answer) for _copy, answer, _key in answered} <= {"/", LOGIN}
    assert not AuditEvent.objects.filter(kind=audit.SIGNOUT).exists()
    winner, key = keys[0]
    assert list(UserSession.objects.values_list("session_key", flat=True)) == [key]
    assert winner.get("/").context["user"] == account
