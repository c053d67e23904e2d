"""A passkey answer with a member of the wrong JSON type, a garbage attestation statement or
a public key that can never verify is a clear 400 and stores nothing.

Each answer starts as the fido2-built authenticator's genuine one; one member is then
replaced, so that the refusal can only come from that member.
"""

import copy
import json

import pytest
from fido2 import cbor
from fido2.utils import websafe_decode, websafe_encode

from mfa.passkeys.models import Passkey
from tests.conftest import post_username
from tests.passkeys.conftest import (
    REGISTER_OPTIONS,
    REGISTER_VERIFY,
    SIGNIN_OPTIONS,
    SIGNIN_VERIFY,
    post_json,
)

P256_PRIME = 2**256 - 2**224 + 2**192 + 2**96 - 1  # FIPS 186-4 D.1.2.3
WRONG_TYPES = [1, 1.5, True, [1, None, {"a": 1}, "usb"], {"a": 1}, "\x00"]
# Members whose JSON type WebAuthn L3 §5.1 fixes; each wrong type above must be refused
# (null is allowed where the member is optional).
REGISTRATION_MEMBERS = [
    ("id",),
    ("rawId",),
    ("type",),
    ("authenticatorAttachment",),
    ("clientExtensionResults",),
    ("response",),
    ("response", "clientDataJSON"),
    ("response", "attestationObject"),
    ("response", "transports"),
]
SIGNIN_MEMBERS = [
    ("id",),
    ("rawId",),
    ("type",),
    ("authenticatorAttachment",),
    ("clientExtensionResults",),
    ("response",),
    ("response", "clientDataJSON"),
    ("response", "authenticatorData"),
    ("response", "signature"),
    ("response", "userHandle"),
]


def replace(answer: dict, path: tuple[str, ...], value: object) -> dict:
    answer = copy.deepcopy(answer)
    target = answer
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = copy.deepcopy(value)
    return answer


def is_right_type(path: tuple[str, ...], value: object) -> bool:
    """The few replacements above that are of the member's own type."""
    member = path[-1]
    if member in ("authenticatorAttachment",) and isinstance(value, str) and value != "\x00":
        return True
    return member == "clientExtensionResults" and isinstance(value, dict)


def fresh_registration(client, authenticator, **kwargs) -> dict:
    options = post_json(client, REGISTER_OPTIONS, {"name": "Laptop"}).json()
    return authenticator.create(options, **kwargs)


def assert_refused(response) -> None:
    assert response.status_code == 400, response.content
    assert response.json()["error"] in {"bad_request", "bad_encoding", "verification_failed"}
    assert response.json()["message"]


def test_the_issue_example_transports_are_refused(signed_in, authenticator):
    answer = fresh_registration(signed_in, authenticator)
    answer["response"]["transports"] = [1, None, {"a": 1}, "usb"]
    response = post_json(signed_in, REGISTER_VERIFY, {"name": "Laptop", "credential": answer})
    assert response.status_code == 400
    assert response.json()["error"] == "bad_request"
    assert Passkey.objects.count() == 0


def test_every_registration_member_of_the_wrong_type_is_refused(signed_in, authenticator):
    refused = 0
    for path in REGISTRATION_MEMBERS:
        for value in WRONG_TYPES:
            answer = replace(fresh_registration(signed_in, authenticator), path, value)
            body = {"name": "Laptop", "credential": answer}
            response = post_json(signed_in, REGISTER_VERIFY, body)
            if is_right_type(path, value):
                assert response.status_code == 200, (path, value)
                Passkey.objects.all().delete()
                continue
            assert response.status_code == 400, (path, value, response.content)
            assert Passkey.objects.count() == 0, (path, value)
            refused += 1
    assert refused >= len(REGISTRATION_MEMBERS) * (len(WRONG_TYPES) - 1)


@pytest.mark.parametrize(
    ("member", "value"),
    [
        ("type", 5),
        ("type", "webauthn.get"),  # the wrong ceremony
        ("challenge", 5),
        ("origin", ["http://localhost:8000"]),
        ("crossOrigin", "yes"),  # read as true by bool(); the portal is never framed
        ("crossOrigin", True),
        ("tokenBinding", 5),
        ("topOrigin", 1),
    ],
)
def test_client_data_of_the_wrong_type_is_refused(signed_in, authenticator, member, value):
    answer = fresh_registration(signed_in, authenticator)
    client_data = json.loads(websafe_decode(answer["response"]["clientDataJSON"]))
    client_data[member] = value
    answer["response"]["clientDataJSON"] = websafe_encode(json.dumps(client_data).encode())
    response = post_json(signed_in, REGISTER_VERIFY, {"name": "Laptop", "credential": answer})
    assert_refused(response)
    assert Passkey.objects.count() == 0


GARBAGE_STATEMENTS = [
    ("tpm", {"ver": "2.0", "alg": -257, "x5c": [b"garbage"], "sig": b"x", "certInfo": b"\x01"}),
    ("tpm", {"ver": "2.0", "alg": -7, "sig": b"x", "certInfo": b"junk", "pubArea": b"junk"}),
    ("tpm", {"x": 1}),
    ("packed", {"alg": "x", "sig": 5}),
    ("packed", {"alg": -7, "sig": b"x", "x5c": [b"garbage"]}),
    ("fido-u2f", {"sig": b"a", "x5c": [b"garbage"]}),
    ("android-key", {}),
    ("android-safetynet", {"ver": 1, "response": b"x"}),
    ("apple", {"x5c": 1}),
    ("apple", {"x5c": [b"garbage"]}),
    ("none", {"extra": 1}),
]


@pytest.mark.parametrize(("fmt", "statement"), GARBAGE_STATEMENTS)
def test_a_garbage_attestation_statement_is_refused(signed_in, authenticator, fmt, statement):
    answer = fresh_registration(signed_in, authenticator, fmt=fmt, att_stmt=statement)
    response = post_json(signed_in, REGISTER_VERIFY, {"name": "Laptop", "credential": answer})
    assert_refused(response)
    assert Passkey.objects.count() == 0


@pytest.mark.parametrize(
    "change", [{"fmt": 5}, {"attStmt": []}, {"attStmt": "garbage"}, {"authData": "text"}]
)
def test_an_attestation_object_of_the_wrong_shape_is_refused(signed_in, authenticator, change):
    answer = fresh_registration(signed_in, authenticator)
    attestation = cbor.decode(websafe_decode(answer["response"]["attestationObject"]))
    attestation.update(change)
    answer["response"]["attestationObject"] = websafe_encode(cbor.encode(attestation))
    response = post_json(signed_in, REGISTER_VERIFY, {"name": "Laptop", "credential": answer})
    assert_refused(response)
    assert Passkey.objects.count() == 0


def off_curve_key(authenticator) -> dict:
    """The authenticator's P-256 key with y moved off the curve: for this x only y and p - y
    are on it, and y + 1 = p - y only for y = (p - 1) / 2, which a random key never is."""
    numbers = authenticator.key.public_key().public_numbers()
    x = numbers.x.to_bytes(32, "big")
    y = ((numbers.y + 1) % P256_PRIME).to_bytes(32, "big")
    return {1: 2, 3: -7, -1: 1, -2: x, -3: y}


@pytest.mark.parametrize(
    "cose_key",
    [
        "off_curve",
        {1: 2, 3: -7, -1: 1, -2: b"\x00" * 32, -3: b"\x00" * 32},  # the point (0, 0)
        {1: 2, 3: -7, -1: 99, -2: b"\x01" * 32, -3: b"\x01" * 32},  # no such curve
        {1: 3, 3: -257, -1: b"\x00", -2: b"\x01\x00\x01"},  # an RSA modulus of 0
        {1: 1, 3: -8, -1: 6, -2: b"\x01" * 5},  # an Ed25519 key of 5 bytes
    ],
)
def test_a_public_key_that_can_never_verify_is_not_stored(signed_in, authenticator, cose_key):
    key = off_curve_key(authenticator) if cose_key == "off_curve" else cose_key
    answer = fresh_registration(signed_in, authenticator, cose_key=key)
    response = post_json(signed_in, REGISTER_VERIFY, {"name": "Laptop", "credential": answer})
    assert response.status_code == 400, response.content
    assert response.json()["error"] in {"bad_public_key", "verification_failed"}
    assert Passkey.objects.count() == 0


def test_an_off_curve_point_is_named_as_such(signed_in, authenticator):
    answer = fresh_registration(signed_in, authenticator, cose_key=off_curve_key(authenticator))
    response = post_json(signed_in, REGISTER_VERIFY, {"name": "Laptop", "credential": answer})
    assert response.json() == {
        "error": "bad_public_key",
        "message": "This device sent a key that can never be used. Try another device.",
    }


def test_every_signin_member_of_the_wrong_type_is_refused(client, user, registered):
    for path in SIGNIN_MEMBERS:
        for value in WRONG_TYPES:
            client.cookies.clear()
            post_username(client, "ani")
            options = post_json(client, SIGNIN_OPTIONS, {"mode": "username"}).json()
            answer = replace(registered.get(options), path, value)
            response = post_json(client, SIGNIN_VERIFY, {"credential": answer})
            if is_right_type(path, value):
                continue
            assert response.status_code == 400, (path, value, response.content)
            assert "_auth_user_id" not in client.session
