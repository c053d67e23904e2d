"""The code send budget (MFA_CODE_MAX_SENDS per window) holds under concurrency: a request that
passed blocked_for() before another one wrote the block must not count again from 1 and send.
Parallel password steps of an e-mail-only account (each its own session, so each its own
attempt and CodeChallenge row: nothing serialises them) must not mail more codes than the budget."""

import threading

import pytest
from django.conf import settings
from django.db import connection

from mfa import codes
from mfa.models import CodeChallenge

pytestmark = pytest.mark.django_db(transaction=True)

PARALLEL = 8


def test_parallel_sends_stay_within_the_budget(user, email_factor, monkeypatch):
    barrier = threading.Barrier(PARALLEL, timeout=20)
    original = codes.blocked_for
    looked = threading.local()

    def blocked_for(*args):
        result = original(*args)
        if not getattr(looked, "once", False):
            # Every request has looked at the block before any counts a send. Only the first
            # look waits: the second (in _count_send, inside the send's transaction) is not
            # reached by a request over the budget, and on SQLite the transactions take the
            # write lock one at a time (BEGIN IMMEDIATE), so no two can meet there.
            looked.once = True
            barrier.wait()
        return result

    monkeypatch.setattr(codes, "blocked_for", blocked_for)
    results: list[str] = []
    errors: list[BaseException] = []

    def one(i: int) -> None:
        try:
            r = codes.request_code(
                user,
                CodeChallenge.Channel.EMAIL,
                email_factor.email,
                f"attempt-{i}",
                CodeChallenge.Purpose.SIGNIN,
            )
            results.append(r.status)
        except BaseException as exc:  # kept: a thread that raised must fail the test, not hide
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=one, args=(i,)) for i in range(PARALLEL)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == [] and len(results) == PARALLEL, (errors, results)
    sent = results.count(codes.SENT)
    assert 1 <= sent <= settings.MFA_CODE_MAX_SENDS, (
        f"{sent} codes sent at once against a budget of {settings.MFA_CODE_MAX_SENDS}: {results}"
    )
