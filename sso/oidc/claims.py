"""How the user signed in, told to relying apps: the ``amr`` and ``acr`` claims.

The sign-in pages record RFC 8176 method values in the session (accounts.signin.flows): "pwd" for a
password, "otp" for an e-mail code, TOTP or recovery code, "sms" for an SMS code, "hwk" for a
passkey, "user" for a passkey's user verification. From those this module derives

- ``amr``: the methods, plus "mfa" when two kinds of factor were used (RFC 8176 §2), and
- ``acr``: one of three levels the portal defines (OpenID Connect Core §2), in order:

  ============================  ==================================================================
  ``ACR_PASSWORD``              one factor (a password)
  ``ACR_MFA``                   two factors; e-mail, SMS and TOTP codes can be phished, so they
                                stop here (NIST SP 800-63B §5.2.5)
  ``ACR_PHISHING_RESISTANT``    multi-factor with a passkey (WebAuthn binds its answer to our
                                origin): a passkey with user verification, or password + passkey
  ============================  ==================================================================

A relying app asks for a level with ``acr_values``; any listed level satisfies the request when
the session reaches it, and the ID token's ``acr`` tells the level actually reached.
"""

from collections.abc import Iterable

ACR_PASSWORD = "urn:sso-portal:acr:password"  # noqa: S105 (a level name, not a secret)
ACR_MFA = "urn:sso-portal:acr:mfa"
ACR_PHISHING_RESISTANT = "urn:sso-portal:acr:phishing-resistant"

# Lowest to highest; a higher level satisfies a request for a lower one.
ACR_LEVELS = (ACR_PASSWORD, ACR_MFA, ACR_PHISHING_RESISTANT)

# RFC 8176 §2 values the portal records, by kind of factor (NIST: something you know / have).
KNOWLEDGE = frozenset({"pwd", "pin", "kba"})
POSSESSION = frozenset({"otp", "sms", "hwk", "swk", "tel"})
# "user": the authenticator verified the person (PIN or biometric) — with "hwk" that is a
# second factor held on the device itself.
USER_VERIFICATION = "user"
PASSKEY = "hwk"
MFA = "mfa"
KNOWN_AMR = KNOWLEDGE | POSSESSION | frozenset({USER_VERIFICATION, MFA})


def is_multi_factor(methods: Iterable[str]) -> bool:
    """Two kinds of factor: knowledge + possession, or a passkey with user verification."""
    used = set(methods)
    if used & KNOWLEDGE and used & POSSESSION:
        return True
    return PASSKEY in used and USER_VERIFICATION in used


def amr_for(methods: Iterable[str]) -> list[str]:
    """The ``amr`` claim for the session's methods: known RFC 8176 values, sorted, with "mfa"."""
    values = {m for m in methods if m in KNOWN_AMR}
    if is_multi_factor(values):
        values.add(MFA)
    else:
        values.discard(MFA)
    return sorted(values)


def acr_for(methods: Iterable[str]) -> str:
    """The ``acr`` level the session's methods reach (see the module docstring)."""
    used = set(methods)
    if not is_multi_factor(used):
        return ACR_PASSWORD
    if PASSKEY in used:
        return ACR_PHISHING_RESISTANT
    return ACR_MFA


def acr_level(acr: str) -> int:
    """The rank of an ``acr`` value; -1 for a value this portal does not define."""
    try:
        return ACR_LEVELS.index(acr)
    except ValueError:
        return -1


def required_acr(acr_values: str) -> str | None:
    """The level a space-separated ``acr_values`` request needs, or None for no requirement.

    Any one listed value satisfies the request (OpenID Connect Core §3.1.2.1), so the lowest
    known one is the requirement; unknown values are ignored.
    """
    levels = [acr_level(value) for value in acr_values.split()]
    known = [level for level in levels if level >= 0]
    return ACR_LEVELS[min(known)] if known else None


def satisfies(acr: str, required: str | None) -> bool:
    """Whether a session at level ``acr`` meets the ``required`` level."""
    return required is None or acr_level(acr) >= acr_level(required)
