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

    def blocked_for(*args):
        result = original(*args)
        barrier.wait()  # every request has looked at the block before any counts a send
        return result

    monkeypatch.setattr(codes, "blocked_for", blocked_for)
    results: list[str] = []

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
        finally:
            connection.close()

    threads = [threading.Thread(target=one, args=(i,)) for i in range(PARALLEL)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    sent = results.count(codes.SENT)
    assert sent <= settings.MFA_CODE_MAX_SENDS, (
        f"{sent} codes sent at once against a budget of {settings.MFA_CODE_MAX_SENDS}: {results}"
    )
