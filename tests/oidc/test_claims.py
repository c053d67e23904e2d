"""amr and acr from the methods the session used (sso/oidc/claims.py)."""

import pytest

from sso.oidc.claims import (
    ACR_MFA,
    ACR_PASSWORD,
    ACR_PHISHING_RESISTANT,
    acr_for,
    amr_for,
    required_acr,
    satisfies,
)


@pytest.mark.parametrize(
    ("methods", "amr", "acr"),
    [
        (["pwd"], ["pwd"], ACR_PASSWORD),
        (["otp", "pwd"], ["mfa", "otp", "pwd"], ACR_MFA),  # TOTP, e-mail or recovery code
        (["pwd", "sms"], ["mfa", "pwd", "sms"], ACR_MFA),
        (["hwk", "user"], ["hwk", "mfa", "user"], ACR_PHISHING_RESISTANT),  # passkey with UV
        (["hwk", "pwd"], ["hwk", "mfa", "pwd"], ACR_PHISHING_RESISTANT),  # password + passkey
        (["hwk"], ["hwk"], ACR_PASSWORD),  # a passkey without user verification: one factor
        (["otp", "sms"], ["otp", "sms"], ACR_PASSWORD),  # two codes are still one kind
        ([], [], ACR_PASSWORD),
        (["pwd", "mfa", "made-up"], ["pwd"], ACR_PASSWORD),  # "mfa" is earned, not copied
    ],
)
def test_amr_and_acr(methods, amr, acr):
    assert amr_for(methods) == amr
    assert acr_for(methods) == acr


def test_codes_are_never_phishing_resistant():
    for code in ("otp", "sms"):
        assert acr_for(["pwd", code]) != ACR_PHISHING_RESISTANT


@pytest.mark.parametrize(
    ("acr_values", "required"),
    [
        ("", None),
        ("unknown", None),
        (ACR_MFA, ACR_MFA),
        (f"{ACR_PHISHING_RESISTANT} {ACR_MFA}", ACR_MFA),  # any listed level will do
        (f"other {ACR_PHISHING_RESISTANT}", ACR_PHISHING_RESISTANT),
    ],
)
def test_required_acr(acr_values, required):
    assert required_acr(acr_values) == required


def test_higher_levels_satisfy_lower_ones():
    assert satisfies(ACR_PHISHING_RESISTANT, ACR_MFA)
    assert satisfies(ACR_MFA, ACR_MFA)
    assert not satisfies(ACR_PASSWORD, ACR_MFA)
    assert not satisfies(ACR_MFA, ACR_PHISHING_RESISTANT)
    assert satisfies(ACR_PASSWORD, None)
