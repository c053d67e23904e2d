"""Strict checks on the JSON a browser posts, before py_webauthn sees it.

py_webauthn decodes base64url with ``urlsafe_b64decode``, which silently drops characters
outside the alphabet; a garbled field would then be read as some other bytes. We refuse it.
"""

import re
from typing import Any

from mfa.passkeys.errors import BAD_ENCODING, BAD_REQUEST, PasskeyError

_BASE64URL = re.compile(r"[A-Za-z0-9_-]*")

REGISTRATION_FIELDS = ("clientDataJSON", "attestationObject")
AUTHENTICATION_FIELDS = ("clientDataJSON", "authenticatorData", "signature")


def _check_base64url(value: Any, *, optional: bool = False) -> None:
    if value is None and optional:
        return
    if not isinstance(value, str) or not value:
        raise PasskeyError(BAD_REQUEST)
    # A length of 4n+1 cannot be base64 of anything (RFC 4648 §4).
    if not _BASE64URL.fullmatch(value) or len(value) % 4 == 1:
        raise PasskeyError(BAD_ENCODING)


def check_credential_json(credential: Any, response_fields: tuple[str, ...]) -> dict:
    """The credential as a dict whose binary fields are well-formed base64url, or PasskeyError."""
    if not isinstance(credential, dict) or not isinstance(credential.get("response"), dict):
        raise PasskeyError(BAD_REQUEST)
    _check_base64url(credential.get("id"))
    _check_base64url(credential.get("rawId"))
    response = credential["response"]
    for field in response_fields:
        _check_base64url(response.get(field))
    if "userHandle" in response:
        _check_base64url(response.get("userHandle"), optional=True)
    return credential
