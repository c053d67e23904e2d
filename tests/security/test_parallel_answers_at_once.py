"""Parallel answers to one sign-in attempt, sent at one moment from copies of one browser (its
session cookie), each request in its own thread with its own database connection: never more
of them checked than MFA_CODE_MAX_FAILURES (accounts.attempts.AnswerLimit), with the counters
in Redis and in the database. tests/security/test_parallel_answers.py replays stale sessions
one request at a time; here the requests really overlap."""

import pytest
from django.test import Client

from accounts import audit
from accounts.models import AuditEvent
from mfa import recovery
from mfa.challenge.pending import PENDING_SESSION_KEY
from tests.accounts.test_parallel_guesses import counters_in, in_parallel, postgres  # noqa: F401
from tests.conftest import led_to, post_username
from tests.security.test_parallel_answers import ENROL, _totp

PARALLEL = 16


def _same_browser(browser: Client) -> Client:
    other = Client()
    for name, morsel in browser.cookies.items():
        other.cookies[name] = morsel.value
    return other


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("postgres", "counters_in")
@pytest.mark.parametrize("slug", sorted(ENROL))
def test_parallel_wrong_answers_to_one_attempt_get_at_most_its_checks(
    make_user, password, settings, slug
):
    settings.OTP_TOTP_THROTTLE_FACTOR = 0  # every try a checked guess: the worst case
    settings.MFA_MAX_FAILURES_PER_DAY = 100  # only the attempt's own limit can end it
    account = make_user("ani")
    wrong = ENROL[slug](account)
    _totp(account) if slug == "recovery" else recovery.generate(account)
    browser = Client()
    post_username(browser, "ani")
    signed = browser.post("/accounts/login/password/", {"password": password})
    assert led_to(signed).startswith("/security/challenge/")
    browser.post("/security/challenge/", {"method": slug})
    browsers = [_same_browser(browser) for _ in range(PARALLEL)]

    responses = in_parallel(
        lambda one: one.post(f"/security/challenge/{slug}/", {"code": wrong}), browsers
    )
    assert len(responses) == PARALLEL
    checked = AuditEvent.objects.filter(
        user=account, kind=audit.SIGNIN_SECOND_FACTOR, result=audit.FAILURE
    ).count()
    assert checked == settings.MFA_CODE_MAX_FAILURES
    # The rest were refused unchecked, the attempt over: the browser signs in again.
    assert sorted(r.status_code for r in responses) == [200] * (checked - 1) + [302] * (
        PARALLEL - checked + 1
    )
    assert led_to(browser.post(f"/security/challenge/{slug}/", {"code": wrong})) == (
        "/accounts/login/"
    )
    assert PENDING_SESSION_KEY not in browser.session
