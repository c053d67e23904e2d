"""The one canonical form of a username (design.md "Bringing people in": one canonical username
form is used by every lookup, constraint and counter).

People type the same name in many spellings: ``Rina.Siti``, full-width letters (U+FF41…), a
Turkish keyboard's dotless i (U+0131), the KELVIN SIGN (U+212A) that some input methods
produce, ``ß`` for ``ss``.
Each of them must reach one account, be refused as a second account, and count toward one
failure counter. Only ``canonical_username`` decides what "the same name" means; the User model
stores its result in ``username_canonical`` (unique), so the database refuses a second account
that reads the same, whoever creates it (admin, registration, invitation, import, SCIM).
"""

import unicodedata

# Characters that Unicode's case folding keeps apart from the Latin letters they stand for,
# though every reader takes them as one: the Turkish/Azeri dotless i (U+0131), and the dot
# above (U+0307) that case folding leaves behind from a capital İ (U+0130 → "i" + U+0307).
_LOOKALIKE_I = str.maketrans({"\u0131": "i"})
_I_WITH_DOT_ABOVE = "i\u0307"


def canonical_username(username: str) -> str:
    """The canonical form of a typed or stored username; two names are one account iff equal.

    Takes any ``str`` (as typed, untrusted) and returns a ``str``: Unicode NFKC, then full case
    folding, the dotless and dotted Turkish i mapped onto ``i``, then NFKC again (Unicode
    Standard §3.13 / UAX #15: case folding can undo a normalization, so normalize after it),
    with surrounding white space removed. Never raises.

    Examples: ``"\uff32\uff29\uff2e\uff21"`` (full width), ``"r\u0131na"``, ``"R\u0130NA"`` →
    ``"rina"``; ``"\u212aomang"`` (KELVIN SIGN) → ``"komang"``;
    ``"Straße"`` → ``"strasse"``; ``"Jose\u0301"`` → ``"josé"`` (precomposed).

    Registration, invitations, bulk import, SCIM and every counter key must use this function
    (or ``User.objects.get_by_natural_key``, which does) rather than ``iexact`` or ``lower()``.
    The result is longer than the input for some names (``ß`` → ``ss``), so do not truncate it.
    """
    folded = unicodedata.normalize("NFKC", username).casefold()
    folded = folded.replace(_I_WITH_DOT_ABOVE, "i").translate(_LOOKALIKE_I)
    return unicodedata.normalize("NFKC", folded).strip()
