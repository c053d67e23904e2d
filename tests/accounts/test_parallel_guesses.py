"""Limits hold under concurrency: parallel wrong answers for one account never get more checks
than the limit (accounts.attempts reserves each attempt in accounts.counters before checking).

Runs on PostgreSQL, with the counters in Redis and in the database (no Redis), each request
handled in its own thread with its own database connection, all released at one moment.
"""

import threading
from base64 import b32encode

import pyotp
import pytest
from django.conf import settings
from django.db import connection, connections
from django.test import Client

from accounts import audit
from accounts.models import AuditEvent
from tests.accounts.conftest import use_counters_in
from tests.conftest import IN_CI, led_to, post_username

PARALLEL = 24


@pytest.fixture
def postgres():
    if connection.vendor != "postgresql":
        if IN_CI:
            pytest.fail("CI=true but the tests do not run on PostgreSQL (set DATABASE_URL)")
        pytest.skip("parallel counting needs PostgreSQL: set DATABASE_URL=postgres://...")


@pytest.fixture(params=["redis", "database"])
def counters_in(request, settings):
    """The shared counters in Redis, or in the database when there is no Redis."""
    database_cache = {
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": "sso_cache",
    }
    use_counters_in(request.param, request, settings, "parallel", other=database_cache)
    from django.core.cache import cache

    yield request.param
    cache.clear()


def in_parallel(send, browsers: list) -> list:
    """``send(browser)`` for each browser, each in its own thread, all at one moment."""
    barrier = threading.Barrier(len(browsers), timeout=60)
    responses: list = []
    lock = threading.Lock()

    def run(browser) -> None:  # type: ignore[no-untyped-def]
        try:
            barrier.wait()
            response = send(browser)
            with lock:
                responses.append(response)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(browser,)) for browser in browsers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return responses


@pytest.mark.django_db(transaction=True)
def test_parallel_wrong_passwords_get_no_more_checks_than_the_limit(
    postgres, counters_in, make_user, password
):
    """24 parallel wrong passwords for one account: at most 5 checked (the threshold), the rest
    refused unchecked, the account locked, and the right password refused afterwards. (Fewer
    than 5 are checked when the attempt that locks the account finishes before one that
    reserved an earlier count reads the lock again: that one is refused, as it must be.)"""
    account = make_user("ani")

    browsers = [Client() for _ in range(PARALLEL)]
    for browser in browsers:
        post_username(browser, "ani")
    responses = in_parallel(
        lambda browser: browser.post("/accounts/login/password/", {"password": "wrong-guess-x"}),
        browsers,
    )
    assert len(responses) == PARALLEL
    checked = AuditEvent.objects.filter(
        user=account, kind=audit.SIGNIN_PASSWORD, result=audit.FAILURE
    ).count()
    refused = AuditEvent.objects.filter(
        user=account, kind=audit.SIGNIN_PASSWORD, result=audit.REFUSED
    ).count()
    assert 1 <= checked <= settings.ACCOUNTS_LOCKOUT_THRESHOLD
    assert refused == PARALLEL - checked
    account.refresh_from_db()
    assert account.is_locked
    locked_page = Client()
    post_username(locked_page, "Ani")
    response = locked_page.post("/accounts/login/password/", {"password": password})
    assert "This account is locked" in response.text


@pytest.mark.django_db(transaction=True)
def test_parallel_wrong_codes_get_no_more_checks_than_the_daily_limit(
    postgres, counters_in, make_user, password, settings
):
    """Second factor: many parallel sign-in attempts, each with one wrong code, never get more
    checked codes than MFA_MAX_FAILURES_PER_DAY (fewer are checked when the lock lands before
    an earlier reservation reads it again: that attempt is refused, as it must be)."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    settings.MFA_MAX_FAILURES_PER_DAY = 6
    settings.OTP_TOTP_THROTTLE_FACTOR = 0  # every try is a checked guess: the worst case
    account = make_user("ani")
    device = TOTPDevice.objects.create(user=account, name="Authenticator", confirmed=True)
    phone = pyotp.TOTP(b32encode(device.bin_key).decode())
    wrong = "000000" if phone.now() != "000000" else "111111"

    browsers = [Client() for _ in range(16)]
    for browser in browsers:  # one after another: the password is right each time
        post_username(browser, "ani")
        right = browser.post("/accounts/login/password/", {"password": password})
        assert led_to(right) == "/security/challenge/totp/"
    responses = in_parallel(
        lambda browser: browser.post("/security/challenge/totp/", {"code": wrong}), browsers
    )
    assert len(responses) == 16
    checked = AuditEvent.objects.filter(
        user=account, kind=audit.SIGNIN_SECOND_FACTOR, result=audit.FAILURE
    ).count()
    assert 1 <= checked <= 6
    account.refresh_from_db()
    assert account.is_locked
