"""accounts.attempts.check_secret with an AnswerLimit, driven directly: answers interleaved (an
answer's check runs while the next ones are reserved), throttled, refused by the IP's limit or
a lock taken meanwhile, and spent; with the counters in Redis and in the database."""

from datetime import timedelta

import pytest
from django.test import RequestFactory
from django.utils import timezone

from accounts import attempts, audit, counters, lockout
from accounts.attempts import AnswerLimit, Throttled
from tests.accounts.conftest import use_counters_in

MOST = 5


@pytest.fixture(params=["redis", "database"])
def counters_in(request, settings):
    use_counters_in(request.param, request, settings, "answerlimit")
    settings.MFA_MAX_FAILURES_PER_DAY = 100
    from django.core.cache import cache

    yield request.param
    cache.clear()


def _answer(request, user, verify, key="q1"):
    return attempts.check_secret(
        request, verify, user=user, kind=audit.SIGNIN_SECOND_FACTOR, method="otp",
        limit=lockout.second_factor_limit(), answers=AnswerLimit(key, 3600, MOST),
    )  # fmt: skip


def _request():
    request = RequestFactory().post("/", REMOTE_ADDR="198.51.100.7")
    request.session = {}
    return request


def test_interleaved_answers_get_at_most_most_checks(counters_in, user):
    request = _request()
    checked = []
    outcomes = []

    def verify_then_next() -> bool:
        checked.append(1)
        if len(outcomes) < 3 * MOST:  # the next answer arrives while this one is checked
            outcomes.append(_answer(request, user, verify_then_next))
        return False

    outcomes.append(_answer(request, user, verify_then_next))
    assert len(checked) == MOST
    assert sum(o.spent for o in outcomes) == len(outcomes) - MOST


def test_throttled_answers_are_given_back(counters_in, user):
    request = _request()

    def throttled() -> bool:
        raise Throttled(3)

    for _ in range(3 * MOST):
        attempt = _answer(request, user, throttled)
        assert attempt.refusal is not None and attempt.refusal.code == lockout.THROTTLED
    for _ in range(MOST - 1):
        assert not _answer(request, user, lambda: False).ok
    assert _answer(request, user, lambda: True).ok


def test_a_spent_question_checks_nothing(counters_in, user):
    request = _request()
    for _ in range(MOST):
        assert not _answer(request, user, lambda: False).ok
    called = []
    attempt = _answer(request, user, lambda: called.append(1) or True)
    assert attempt.spent and not attempt.ok and not called
    # the account and IP counters are given back for a spent answer; the answer's is kept
    account = lockout.account_key(lockout.second_factor_limit(), "", user)
    assert counters.peek(account, "q1") == {account: MOST, "q1": MOST + 1}
    # another question of the same account is not touched
    assert _answer(request, user, lambda: True, key="q2").ok


def test_ip_over_its_limit_gives_the_answer_back(counters_in, user, settings):
    settings.ACCOUNTS_IP_FAILURE_LIMIT = 2
    request = _request()
    for other in ("other1", "other2"):  # two other questions' wrong answers
        assert not _answer(request, user, lambda: False, key=other).ok
    attempt = _answer(request, user, lambda: True)
    assert attempt.refusal is not None and attempt.refusal.code == lockout.IP_BLOCKED
    assert counters.peek("q1").get("q1", 0) == 0


def test_a_lock_taken_meanwhile_gives_the_answer_back(counters_in, user):
    request = _request()

    def lock_then(u):
        type(user).objects.filter(pk=user.pk).update(
            locked_until=timezone.now() + timedelta(hours=1)
        )
        return lockout.fresh(u)

    attempt = attempts.check_secret(
        request, lambda: True, user=user, kind=audit.SIGNIN_SECOND_FACTOR, method="otp",
        limit=lockout.second_factor_limit(), answers=AnswerLimit("q1", 3600, MOST),
        fresh=lock_then,
    )  # fmt: skip
    assert attempt.refusal is not None and attempt.refusal.code == lockout.ACCOUNT_LOCKED
    assert counters.peek("q1").get("q1", 0) == 0
