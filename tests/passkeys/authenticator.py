"""A software authenticator for the server tests, built from the ``fido2`` package's pieces.

It is not our code on the other side of the protocol: the authenticator data, attested
credential data, COSE key, attestation object and client data are made by Yubico's
``fido2`` library, the key pair and signatures by ``cryptography``. The answers look like
the JSON a browser's ``PublicKeyCredential.toJSON()`` gives, so the endpoints see exactly
what Chromium would send; a test may change any part (origin, challenge, counter, flags,
user handle) to make a bad answer.
"""

import hashlib
import secrets
from dataclasses import dataclass, field

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from fido2.cose import ES256
from fido2.utils import websafe_decode, websafe_encode
from fido2.webauthn import (
    AttestationObject,
    AttestedCredentialData,
    AuthenticatorData,
    CollectedClientData,
)

ORIGIN = "http://localhost:8000"
RP_ID = "localhost"
FLAG = AuthenticatorData.FLAG


def b64(data: bytes) -> str:
    return websafe_encode(data)


@dataclass
class SoftAuthenticator:
    """One credential on a pretend platform authenticator (discoverable, verifies users)."""

    rp_id: str = RP_ID
    origin: str = ORIGIN
    counter: int = 0
    backup_eligible: bool = False
    backed_up: bool = False
    aaguid: bytes = b"\x11" * 16
    key: ec.EllipticCurvePrivateKey = field(
        default_factory=lambda: ec.generate_private_key(ec.SECP256R1())
    )
    credential_id: bytes = field(default_factory=lambda: secrets.token_bytes(32))
    user_handle: bytes | None = None

    @property
    def id(self) -> str:
        return b64(self.credential_id)

    def _flags(self, user_verified: bool) -> FLAG:
        flags = FLAG.UP
        if user_verified:
            flags |= FLAG.UV
        if self.backup_eligible:
            flags |= FLAG.BE
        if self.backed_up:
            flags |= FLAG.BS
        return flags

    def _client_data(self, kind: str, challenge: str, origin: str | None) -> CollectedClientData:
        return CollectedClientData.create(
            type=kind, challenge=websafe_decode(challenge), origin=origin or self.origin
        )

    def create(
        self,
        options: dict,
        *,
        origin: str | None = None,
        user_verified: bool = True,
        cose_key: dict | None = None,
        fmt: str = "none",
        att_stmt: dict | None = None,
    ) -> dict:
        """Answers ``navigator.credentials.create()`` options with "none" attestation, or
        with ``fmt`` and ``att_stmt`` as given; ``cose_key`` replaces the real public key."""
        self.user_handle = websafe_decode(options["user"]["id"])
        client_data = self._client_data("webauthn.create", options["challenge"], origin)
        if cose_key is None:
            cose_key = ES256.from_cryptography_key(self.key.public_key())
        else:
            cose_key = ES256(cose_key)
        attested = AttestedCredentialData.create(self.aaguid, self.credential_id, cose_key)
        auth_data = AuthenticatorData.create(
            hashlib.sha256(self.rp_id.encode()).digest(),
            self._flags(user_verified) | FLAG.AT,
            self.counter,
            attested,
        )
        attestation = AttestationObject.create(fmt, auth_data, att_stmt or {})
        return {
            "id": self.id,
            "rawId": self.id,
            "type": "public-key",
            "authenticatorAttachment": "platform",
            "clientExtensionResults": {},
            "response": {
                "clientDataJSON": b64(bytes(client_data)),
                "attestationObject": b64(bytes(attestation)),
                "transports": ["internal"],
            },
        }

    def get(
        self,
        options: dict,
        *,
        origin: str | None = None,
        user_verified: bool = True,
        counter: int | None = None,
        user_handle: bytes | None = None,
        send_user_handle: bool = True,
    ) -> dict:
        """Answers ``navigator.credentials.get()`` options, counting up like a real device."""
        self.counter = self.counter + 1 if counter is None else counter
        client_data = self._client_data("webauthn.get", options["challenge"], origin)
        auth_data = AuthenticatorData.create(
            hashlib.sha256(self.rp_id.encode()).digest(), self._flags(user_verified), self.counter
        )
        signature = self.key.sign(
            bytes(auth_data) + hashlib.sha256(bytes(client_data)).digest(),
            ec.ECDSA(hashes.SHA256()),
        )
        response = {
            "clientDataJSON": b64(bytes(client_data)),
            "authenticatorData": b64(bytes(auth_data)),
            "signature": b64(signature),
        }
        handle = user_handle if user_handle is not None else self.user_handle
        if send_user_handle and handle is not None:
            response["userHandle"] = b64(handle)
        return {
            "id": self.id,
            "rawId": self.id,
            "type": "public-key",
            "authenticatorAttachment": "platform",
            "clientExtensionResults": {},
            "response": response,
        }
