"""Parallel wrong answers to the second-factor challenge each count toward the attempt's limit.

Parallel requests each load the session before any of them saves it, so whatever a request
writes there is overwritten by the others' copies. The tests replay that deterministically:
after each wrong answer the session is put back as a parallel request loaded it. Every method
that takes a typed answer is walked (a new method must say here how it is enrolled).
"""

from collections.abc import Callable

import pytest
from django.conf import settings

from accounts.models import User
from mfa import recovery
from mfa.challenge import factors
from mfa.challenge.pending import PENDING_SESSION_KEY
from mfa.models import EmailDevice
from mfa.sms.models import SmsDevice
from tests.conftest import led_to
from tests.mfa.conftest import pick, to_challenge, validate


def _totp(user: User) -> str:
    from django_otp.plugins.otp_totp.models import TOTPDevice

    TOTPDevice.objects.create(user=user, name="Authenticator", confirmed=True)
    return "000000"  # never refused as too fast: OTP_TOTP_THROTTLE_FACTOR is 0 below


def _email(user: User) -> str:
    EmailDevice.objects.create(user=user, name="Email", email="ani.codes@example.com")
    return "000000"


def _sms(user: User) -> str:
    SmsDevice.objects.create(user=user, name="SMS", number="+6281234567889")
    return "000000"


def _recovery(user: User) -> str:
    recovery.generate(user)
    return "aaaaa-aaaaa"  # "a" twice at the same place in ten codes: never one of them


# Enrols the method for the user and returns an answer that is wrong (or almost surely so:
# a right one would only end the test early, never pass it wrongly).
ENROL: dict[str, Callable[[User], str]] = {
    "totp": _totp,
    "email": _email,
    "sms": _sms,
    "recovery": _recovery,
}
NO_TYPED_ANSWER = {"passkey"}  # the browser's signature; its wrong ones are walked elsewhere


def test_every_method_is_walked():
    slugs = {method.slug for method in factors.all_methods()}
    assert slugs - NO_TYPED_ANSWER <= set(ENROL), "enrol the new method in ENROL"


@pytest.mark.parametrize("slug", sorted(ENROL))
def test_wrong_answers_lost_by_a_stale_session_still_end_the_attempt(
    client, user, password, settings_override, slug
):
    wrong = ENROL[slug](user)
    # A second factor besides the one walked (recovery codes alone are none): the picker
    _totp(user) if slug == "recovery" else recovery.generate(user)
    to_challenge(client, password)
    pick(client, slug)
    loaded_in_parallel = client.session[PENDING_SESSION_KEY]
    statuses = []
    for _ in range(settings.MFA_CODE_MAX_FAILURES + 1):
        statuses.append(validate(client, slug, wrong).status_code)
        if statuses[-1] == 302:
            break
        session = client.session
        session[PENDING_SESSION_KEY] = loaded_in_parallel  # the parallel request's save
        session.save()
    assert statuses == [200] * (settings.MFA_CODE_MAX_FAILURES - 1) + [302]
    assert PENDING_SESSION_KEY not in client.session


@pytest.fixture
def settings_override(settings):
    # Every try a checked guess (django-otp's throttle off), and the daily limit far away, so
    # that only the attempt's own limit can end it.
    settings.OTP_TOTP_THROTTLE_FACTOR = 0
    settings.MFA_MAX_FAILURES_PER_DAY = 100
    return settings


def test_choosing_another_method_keeps_the_attempts_wrong_answers(
    client, user, password, settings_override
):
    wrong = _totp(user)
    _email(user)
    to_challenge(client, password)
    pick(client, "totp")
    for _ in range(settings.MFA_CODE_MAX_FAILURES - 1):
        assert validate(client, "totp", wrong).status_code == 200
    pick(client, "email")  # "Choose another method": the same attempt, the same count
    assert validate(client, "email", "000000")["Location"] == "/accounts/login/"
    assert PENDING_SESSION_KEY not in client.session


def test_choosing_another_method_never_reaches_confirm_without_proof(client, user, password):
    _totp(user)
    recovery.generate(user)
    to_challenge(client, password)
    pick(client, "totp")
    confirm_page = "/security/challenge/confirm/"
    assert led_to(client.get(confirm_page)) == "/security/challenge/"
    assert led_to(client.post(confirm_page, {"remember": "on"})) == "/security/challenge/"
    for slug in ("email", "sms", "passkey"):  # not enrolled: neither offered nor answered
        assert pick(client, slug).status_code == 400
        assert validate(client, slug, "000000").status_code == 400
    assert client.session[PENDING_SESSION_KEY]["verified"] is None
    assert "_auth_user_id" not in client.session
