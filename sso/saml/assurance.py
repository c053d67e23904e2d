"""How the user signed in, told to SAML service providers: ``AuthnContextClassRef``.

The facts are the portal session's, the same that give OpenID Connect its ``acr`` (see
sso/oidc/claims.py): one level among password, multi-factor and phishing-resistant. Each level
has the class reference the assertion carries, and the class references a service provider may
ask for in ``RequestedAuthnContext`` (SAML Core §3.3.2.2.1) are ranked on the same levels:

=============================  ============================================================
password                       ``PasswordProtectedTransport`` (SAML Authn Context §3.4.12);
                               ``Password`` and ``unspecified`` ask no more than this
multi-factor                   ``https://refeds.org/profile/mfa`` (REFEDS MFA Profile)
phishing-resistant             the portal's own URN (as for ``acr``): no SAML class says
                               "passkey", and claiming a smartcard class would claim more
=============================  ============================================================

The portal's ``acr`` URNs are accepted as class references too, at their own level.
"""

from collections.abc import Iterable
from dataclasses import dataclass

from sso.oidc import claims

PASSWORD_PROTECTED_TRANSPORT = "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport"  # noqa: S105 (a class)
PASSWORD = "urn:oasis:names:tc:SAML:2.0:ac:classes:Password"  # noqa: S105 (a class name)
UNSPECIFIED = "urn:oasis:names:tc:SAML:2.0:ac:classes:unspecified"
REFEDS_MFA = "https://refeds.org/profile/mfa"

# The class reference each level is told with, lowest first (claims.ACR_LEVELS' order).
CLASS_FOR_LEVEL = (PASSWORD_PROTECTED_TRANSPORT, REFEDS_MFA, claims.ACR_PHISHING_RESISTANT)

LEVEL_OF_CLASS = {
    UNSPECIFIED: 0,
    PASSWORD: 0,
    PASSWORD_PROTECTED_TRANSPORT: 0,
    claims.ACR_PASSWORD: 0,
    REFEDS_MFA: 1,
    claims.ACR_MFA: 1,
    claims.ACR_PHISHING_RESISTANT: 2,
}
MFA_LEVEL = 1

EXACT, MINIMUM, BETTER, MAXIMUM = "exact", "minimum", "better", "maximum"


@dataclass(frozen=True)
class Requested:
    """A ``RequestedAuthnContext``: class references and the comparison (default exact)."""

    class_refs: tuple[str, ...] = ()
    comparison: str = EXACT


def level_of(acr: str) -> int:
    """The level (0, 1, 2) of the portal's ``acr`` for the session."""
    return max(claims.acr_level(acr), 0)


def answer(session_level: int, requested: Requested, minimum_level: int = 0) -> str | None:
    """The class reference to put in the assertion, or None when the session cannot satisfy the
    request (then the SP gets ``NoAuthnContext``, or the user a step-up).

    Never claims more than the session proved: with a request, the answer is the strongest
    requested class at or below the session's level that meets the comparison (SAML Core
    §3.3.2.2.1); without one, the class of the session's own level. ``minimum_level`` is the
    service provider's own demand (MFA required), whatever it asks.
    """
    if session_level < minimum_level:
        return None
    if not requested.class_refs:
        return CLASS_FOR_LEVEL[session_level]
    known = [(LEVEL_OF_CLASS[ref], ref) for ref in requested.class_refs if ref in LEVEL_OF_CLASS]
    if not known:
        return None
    lowest = min(level for level, _ in known)
    if requested.comparison == MAXIMUM:
        # "No stronger than": the session's level is told as the strongest allowed one.
        allowed = [(level, ref) for level, ref in known if level <= session_level]
        return max(allowed)[1] if allowed else None
    if requested.comparison == BETTER:
        return CLASS_FOR_LEVEL[session_level] if session_level > lowest else None
    if requested.comparison == MINIMUM:
        return CLASS_FOR_LEVEL[session_level] if session_level >= lowest else None
    # exact: one of the listed classes, the strongest the session reaches.
    reached = [(level, ref) for level, ref in known if level <= session_level]
    return max(reached)[1] if reached else None


def required_level(requested: Requested, minimum_level: int = 0) -> int | None:
    """The level a step-up must reach for this request; None when no level would do."""
    known = [LEVEL_OF_CLASS[ref] for ref in requested.class_refs if ref in LEVEL_OF_CLASS]
    if requested.class_refs and not known:
        return None
    needed = min(known) + (1 if requested.comparison == BETTER else 0) if known else 0
    if needed >= len(CLASS_FOR_LEVEL):
        return None
    return max(needed, minimum_level)


def class_refs(values: Iterable[str | None]) -> tuple[str, ...]:
    """Stripped, non-empty class references."""
    return tuple(v.strip() for v in values if v and v.strip())
