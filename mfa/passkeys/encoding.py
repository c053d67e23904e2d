"""Strict checks on the JSON a browser posts, before py_webauthn sees it.

py_webauthn decodes base64url with ``urlsafe_b64decode``, which silently drops characters
outside the alphabet; a garbled field would then be read as some other bytes. We refuse it.
It also reads fields of the wrong JSON type loosely (``bool("yes")`` for ``crossOrigin``,
any iterable for ``transports``): every field is checked here against the type the WebAuthn
L3 JSON serialisation (§5.1, ``RegistrationResponseJSON`` / ``AuthenticationResponseJSON``)
and the client data (§5.8.1) give it.
"""

import json
import re
from typing import Any

from webauthn.helpers import base64url_to_bytes, parse_cbor
from webauthn.helpers.exceptions import InvalidCBORData

from mfa.passkeys.errors import BAD_ENCODING, BAD_REQUEST, PasskeyError

_BASE64URL = re.compile(r"[A-Za-z0-9_-]*")

REGISTRATION_FIELDS = ("clientDataJSON", "attestationObject")
AUTHENTICATION_FIELDS = ("clientDataJSON", "authenticatorData", "signature")
PUBLIC_KEY = "public-key"


def _check_base64url(value: Any, *, optional: bool = False) -> None:
    if value is None and optional:
        return
    if not isinstance(value, str) or not value:
        raise PasskeyError(BAD_REQUEST)
    # A length of 4n+1 cannot be base64 of anything (RFC 4648 §4).
    if not _BASE64URL.fullmatch(value) or len(value) % 4 == 1:
        raise PasskeyError(BAD_ENCODING)


def _check_optional(container: dict, key: str, kind: type) -> None:
    """A member that may be absent or null, and is otherwise exactly of ``kind``."""
    value = container.get(key)
    if value is not None and type(value) is not kind:
        raise PasskeyError(BAD_REQUEST)


def _check_client_data(encoded: str) -> None:
    """§5.8.1 CollectedClientData: a JSON object with string type, challenge and origin.

    ``crossOrigin`` must be absent or false: the portal is never framed (``frame-ancestors
    'none'``), so a ceremony in another site's frame is not ours.
    """
    try:
        data = json.loads(base64url_to_bytes(encoded))
    except (ValueError, RecursionError) as exc:
        raise PasskeyError(BAD_ENCODING) from exc
    if not isinstance(data, dict):
        raise PasskeyError(BAD_ENCODING)
    for key in ("type", "challenge", "origin"):
        if not isinstance(data.get(key), str):
            raise PasskeyError(BAD_REQUEST)
    _check_optional(data, "topOrigin", str)
    _check_optional(data, "tokenBinding", dict)
    if data.get("crossOrigin") not in (None, False):
        raise PasskeyError(BAD_REQUEST)


def _check_attestation_object(encoded: str) -> None:
    """§6.5.4: a CBOR map with a text ``fmt``, a map ``attStmt`` and a byte string ``authData``;
    §8.7: the "none" format's statement is the empty map."""
    try:
        attestation = parse_cbor(base64url_to_bytes(encoded))
    except (InvalidCBORData, ValueError) as exc:
        raise PasskeyError(BAD_ENCODING) from exc
    if not (
        isinstance(attestation, dict)
        and isinstance(attestation.get("fmt"), str)
        and isinstance(attestation.get("attStmt"), dict)
        and isinstance(attestation.get("authData"), bytes)
    ):
        raise PasskeyError(BAD_ENCODING)
    if attestation["fmt"] == "none" and attestation["attStmt"]:
        raise PasskeyError(BAD_ENCODING)


def check_credential_json(credential: Any, response_fields: tuple[str, ...]) -> dict:
    """The credential as a dict whose members have their JSON types and whose binary fields
    are well-formed base64url; PasskeyError (bad_request, bad_encoding) otherwise.

    ``response_fields`` is REGISTRATION_FIELDS or AUTHENTICATION_FIELDS.
    """
    if not isinstance(credential, dict) or not isinstance(credential.get("response"), dict):
        raise PasskeyError(BAD_REQUEST)
    _check_base64url(credential.get("id"))
    _check_base64url(credential.get("rawId"))
    if credential.get("type", PUBLIC_KEY) != PUBLIC_KEY:
        raise PasskeyError(BAD_REQUEST)
    _check_optional(credential, "authenticatorAttachment", str)
    _check_optional(credential, "clientExtensionResults", dict)
    response = credential["response"]
    for field in response_fields:
        _check_base64url(response.get(field))
    if "userHandle" in response:
        _check_base64url(response.get("userHandle"), optional=True)
    transports = response.get("transports")
    if transports is not None and not (
        isinstance(transports, list) and all(isinstance(t, str) for t in transports)
    ):
        raise PasskeyError(BAD_REQUEST)
    _check_client_data(response["clientDataJSON"])
    if "attestationObject" in response_fields:
        _check_attestation_object(response["attestationObject"])
    return credential
