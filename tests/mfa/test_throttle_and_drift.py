"""A refused-because-too-fast code is not a wrong code, and the code window stays on the
server's clock (django-otp's throttle and drift, as the challenge uses them)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts import audit, counters, lockout
from accounts.models import AuditEvent
from mfa import totp
from tests.conftest import led_to, sign_in
from tests.mfa.conftest import validate

STEP = 30
# The start of a 30-second step, so that moving by whole steps lands on known codes.
T0 = "2026-11-21 09:00:00+07:00"


def failures(user) -> int:
    return AuditEvent.objects.filter(
        user=user, kind=audit.SIGNIN_SECOND_FACTOR, result=audit.FAILURE
    ).count()


def daily_count(user) -> int:
    key = lockout.account_key(lockout.second_factor_limit(), user.username, user)
    return counters.peek(key).get(key, 0)


def wrong_code(phone) -> str:
    return "000000" if phone.now() != "000000" else "111111"


@pytest.mark.parametrize(
    ("language", "one_second"),
    [
        ("en", "Too fast: wait 1 second before trying again."),
        ("id", "Terlalu cepat: tunggu 1 detik sebelum mencoba lagi."),
    ],
)
def test_right_code_right_after_a_wrong_one_says_wait_and_counts_nothing(
    client, user, password, phone, time_machine, language, one_second
):
    time_machine.move_to(T0, tick=False)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = language
    sign_in(client, "ani", password)
    assert validate(client, "totp", wrong_code(phone)).status_code == 200
    assert (failures(user), daily_count(user)) == (1, 1)

    too_fast = validate(client, "totp", phone.now())
    assert too_fast.status_code == 200
    assert one_second in too_fast.text
    assert "seconds" not in too_fast.text.split(one_second)[0][-200:]
    # Not a wrong guess: no failure event, the daily and per-attempt counts unchanged.
    assert (failures(user), daily_count(user)) == (1, 1)
    assert AuditEvent.objects.filter(
        user=user, kind=audit.SIGNIN_SECOND_FACTOR, result=audit.REFUSED
    ).exists()

    time_machine.move_to(timezone.now() + timedelta(seconds=1), tick=False)
    assert led_to(validate(client, "totp", phone.now())) == "/security/challenge/confirm/"


def test_longer_waits_use_the_plural(client, user, password, phone, time_machine):
    time_machine.move_to(T0, tick=False)
    sign_in(client, "ani", password)
    validate(client, "totp", wrong_code(phone))
    time_machine.move_to(timezone.now() + timedelta(seconds=1), tick=False)
    validate(client, "totp", wrong_code(phone))  # second wrong code: 2 seconds' wait
    page = validate(client, "totp", phone.now())
    assert "Too fast: wait 2 seconds before trying again." in page.text
    assert failures(user) == 2


def test_many_too_fast_tries_never_lock_the_account(
    client, user, password, phone, time_machine, settings
):
    """Ten real mistakes with impatient retries in between used to lock the account for a day."""
    settings.MFA_MAX_FAILURES_PER_DAY = 5
    time_machine.move_to(T0, tick=False)
    sign_in(client, "ani", password)
    validate(client, "totp", wrong_code(phone))
    for _ in range(10):
        assert "Too fast" in validate(client, "totp", phone.now()).text
    user.refresh_from_db()
    assert not user.is_locked
    time_machine.move_to(timezone.now() + timedelta(seconds=1), tick=False)
    assert led_to(validate(client, "totp", phone.now())) == "/security/challenge/confirm/"


def test_two_codes_from_a_fast_phone_do_not_move_the_window(user, phone, time_machine):
    """After codes for T+1 and T+2 were offered at true step T, a phone with the correct
    clock still works at every later step (replay protection still refuses old steps)."""
    time_machine.move_to(T0, tick=False)
    now = timezone.now().timestamp()
    device = totp.confirmed_device(user)
    assert totp.check(device, phone.at(now + STEP))  # T+1: inside the ±1 step window
    # T+2 from the same fast phone is outside the window on the server's clock.
    assert not totp.check(device, phone.at(now + 2 * STEP))
    device.refresh_from_db()
    assert device.drift == 0
    start = timezone.now()
    for steps in (3, 4, 10):
        time_machine.move_to(start + timedelta(seconds=steps * STEP), tick=False)
        assert totp.check(device, phone.now()), f"correct phone refused at T+{steps}"


def test_a_drift_stored_earlier_is_dropped(user, phone, time_machine):
    """A device whose drift django-otp's drift following had already moved to +2."""
    time_machine.move_to(T0, tick=False)
    device = totp.confirmed_device(user)
    device.drift = 2
    device.save()
    assert totp.check(device, phone.now())
    device.refresh_from_db()
    assert device.drift == 0
