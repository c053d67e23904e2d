"""Two simultaneous submissions of the same valid code: exactly one succeeds (PostgreSQL)."""

import threading
from base64 import b32encode

import pyotp
import pytest
from django.db import connection, connections
from django_otp.plugins.otp_totp.models import TOTPDevice

from mfa import codes, totp
from mfa.models import CodeChallenge
from tests.conftest import IN_CI
from tests.mfa.conftest import last_code


@pytest.fixture
def postgres():
    if connection.vendor != "postgresql":
        if IN_CI:
            pytest.fail("CI=true but the tests do not run on PostgreSQL (set DATABASE_URL)")
        pytest.skip("row locking races need PostgreSQL: set DATABASE_URL=postgres://...")


def race(func, *args) -> list:
    """Runs ``func(*args)`` in two threads released at the same moment."""
    barrier = threading.Barrier(2)
    results: list = []

    def run() -> None:
        try:
            barrier.wait()
            results.append(func(*args))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


@pytest.mark.django_db(transaction=True)
def test_same_email_code_twice_at_once(postgres, make_user):
    user = make_user("ani")
    codes.request_code(user, "email", "ani@example.com", "attempt-1", "signin")
    assert CodeChallenge.objects.get(user=user).delivery == CodeChallenge.Delivery.SENT
    code = last_code()  # the mail sent by the (inline) delivery task
    results = race(codes.check_code, user, "attempt-1", "email", "signin", code)
    assert sorted(r.status for r in results) == [codes.NO_CODE, codes.OK]


@pytest.mark.django_db(transaction=True)
def test_same_totp_code_twice_at_once(postgres, make_user):
    user = make_user("ani")
    device = TOTPDevice.objects.create(user=user, name="A", confirmed=True)
    code = pyotp.TOTP(b32encode(device.bin_key).decode()).now()
    results = race(totp.check, device, code)
    assert sorted(results) == [False, True]


@pytest.mark.django_db(transaction=True)
def test_same_totp_code_twice_at_once_at_sign_in(postgres, make_user):
    """The sign-in's check (the user's authenticator found and locked by one read, compiled
    once per process: mfa.totp): one code, two answers at once, one accepted; the wrong one
    counts in django-otp's throttle."""
    user = make_user("ani")
    device = TOTPDevice.objects.create(user=user, name="A", confirmed=True)
    code = pyotp.TOTP(b32encode(device.bin_key).decode()).now()
    results = race(totp.check_confirmed, user, code)
    assert sorted(results) == [False, True]
    device.refresh_from_db()
    assert device.throttling_failure_count == 1
