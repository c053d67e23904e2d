"""A password-only session that predates the user's first factor must not bind its own
factor without the account e-mail proof once the real user has bound one in another session."""

import pyotp
import pytest
from django.core import mail
from django.test import Client

from mfa.models import EmailDevice
from tests.conftest import PROOF_PAGE, led_to, prove_account_email, sign_in
from tests.mfa.conftest import last_code, run_on_commit
from tests.mfa.test_binding import authenticator_key

pytestmark = pytest.mark.django_db


def attacker_before_the_first_factor(user, password) -> Client:
    """The attacker, holding only the password, signs in while the account has no factor; then
    the real user signs in, proves the account e-mail and binds an authenticator app."""
    attacker, victim = Client(), Client()
    assert led_to(sign_in(attacker, user.username, password)) == "/"
    assert led_to(sign_in(victim, user.username, password)) == "/"
    prove_account_email(victim, "/security/authenticator/")
    key = authenticator_key(victim)
    run_on_commit(victim.post, "/security/authenticator/", {"code": pyotp.TOTP(key).now()})
    return attacker


def test_old_password_only_session_binds_attacker_email_after_victim_enrols(user, password):
    attacker = attacker_before_the_first_factor(user, password)
    mail.outbox.clear()
    # The attacker's session proved only the password and never did the e-mail proof.
    refused = run_on_commit(attacker.post, "/security/email/", {"email": "x@evil.example"})
    assert refused["Location"].startswith(PROOF_PAGE), (
        "a session that proved only a password binds a factor without the proof: "
        f"{refused.status_code} {refused.get('Location')}, mail to "
        f"{[m.to for m in mail.outbox]}"
    )


def test_then_the_attacker_signs_in_with_password_and_own_factor(user, password):
    attacker = attacker_before_the_first_factor(user, password)
    run_on_commit(attacker.post, "/security/email/", {"email": "x@evil.example"})
    if mail.outbox and mail.outbox[-1].to == ["x@evil.example"]:
        run_on_commit(attacker.post, "/security/email/verify/", {"code": last_code()})
    assert not EmailDevice.objects.filter(user=user, email="x@evil.example").exists(), (
        "the attacker bound x@evil.example as a sign-in factor with the password alone"
    )
