"""The guessing bound: with the password known, how likely is a right 6-digit code in 24 h?

The computation uses only the configured limits; the second test drives the real pages to show
the limits stop exactly the attempts the computation assumes.
"""

from datetime import timedelta

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone

from tests.conftest import led_to, sign_in
from tests.mfa.conftest import pick, to_challenge, validate


def chance_of_guessing_within_a_day() -> float:
    """Each wrong answer counts toward MFA_MAX_FAILURES_PER_DAY, after which the account is
    locked for a day, so at most that many guesses fit in any 24 hours. A TOTP guess matches
    one of 2*tolerance+1 codes (the ±1 step window); an e-mail or SMS code only one."""
    guesses = settings.MFA_MAX_FAILURES_PER_DAY
    codes_per_guess = 2 * getattr(settings, "OTP_TOTP_TOLERANCE", 1) + 1
    return guesses * codes_per_guess / 10**6


def test_the_chance_is_below_one_in_ten_thousand():
    assert chance_of_guessing_within_a_day() < 1 / 10_000


def test_the_limits_stop_the_guesses_the_bound_assumes(
    user, password, phone, time_machine, settings
):
    # django-otp's throttle (1, 2, 4 ... seconds after each wrong code) refuses early tries
    # without checking them; off here so that every try is a checked guess, the worst case.
    settings.OTP_TOTP_THROTTLE_FACTOR = 0
    time_machine.move_to("2026-11-21 09:00:00+07:00", tick=False)
    wrong = "000000" if phone.now() != "000000" else "111111"
    guesses = 0
    locked = False
    for _ in range(settings.MFA_MAX_FAILURES_PER_DAY):  # never more attempts than guesses
        attacker = Client()
        response = sign_in(attacker, "ani", password)
        if led_to(response) == "":  # refused: the password page again
            locked = "This account is locked" in response.text
            break
        pick(attacker, "totp")
        for _ in range(settings.MFA_CODE_MAX_FAILURES):
            time_machine.move_to(timezone.now() + timedelta(seconds=40), tick=False)
            answer = validate(attacker, "totp", wrong)
            guesses += 1
            if answer.status_code == 302:  # the attempt (or the account) is over
                break
    assert guesses == settings.MFA_MAX_FAILURES_PER_DAY
    if not locked:
        assert "This account is locked" in sign_in(Client(), "ani", password).text
    time_machine.move_to(timezone.now() + timedelta(hours=23), tick=False)
    assert "This account is locked" in sign_in(Client(), "ani", password).text


@pytest.mark.parametrize("method", ["totp"])
def test_each_attempt_gets_at_most_five_tries(client, user, password, phone, method):
    to_challenge(client, password)
    pick(client, method)
    statuses = []
    for _ in range(settings.MFA_CODE_MAX_FAILURES + 2):
        user.totpdevice_set.update(throttling_failure_count=0)
        statuses.append(validate(client, method, "999999").status_code)
    assert statuses[: settings.MFA_CODE_MAX_FAILURES - 1] == [200] * 4
    assert statuses[settings.MFA_CODE_MAX_FAILURES - 1 :] == [302] * 3
