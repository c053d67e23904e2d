"""RS256 ID tokens signed with ``cryptography`` directly: the bytes jwcrypto would make.

django-oauth-toolkit signs each ID token through jwcrypto, which builds a JWS object, decodes
the header it was handed back to a dict, checks it, computes the key's thumbprint (the
``kid``) anew and signs; the signature itself is a small part of that. RS256 (RSASSA-PKCS1-v1_5
with SHA-256, RFC 7518 §3.3) is deterministic, so signing the same JWS signing input
(RFC 7515 §5.1: BASE64URL(header) "." BASE64URL(payload)) with the same key gives the very
token jwcrypto gives (tests/oidc/test_id_token_signing.py compares them). The key is parsed,
and its thumbprint computed, once per process and key.
"""

import base64
import functools
import json

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey
from oauth2_provider.utils import jwk_from_pem

RS256 = "RS256"


@functools.lru_cache(maxsize=4)
def rsa_signing_key(pem: str) -> tuple[RSAPrivateKey, str]:
    """The private key of ``pem`` and its ``kid``: the RFC 7638 thumbprint that DOT puts in
    the header and publishes in the JWKS."""
    key = serialization.load_pem_private_key(pem.encode(), password=None)
    if not isinstance(key, RSAPrivateKey):
        raise ValueError("OIDC_RSA_PRIVATE_KEY is not an RSA private key")
    return key, jwk_from_pem(pem).thumbprint()


def _b64url(data: bytes) -> bytes:
    return base64.urlsafe_b64encode(data).rstrip(b"=")


def sign_rs256(claims: dict, pem: str) -> str:
    """The compact JWS of ``claims``, with DOT's header (``typ``, ``alg``, ``kid``) and the
    same JSON text DOT hands jwcrypto (``json.dumps(..., default=str)``)."""
    key, kid = rsa_signing_key(pem)
    header = {"typ": "JWT", "alg": RS256, "kid": kid}
    signing_input = b".".join(
        _b64url(json.dumps(part, default=str).encode()) for part in (header, claims)
    )
    signature = key.sign(signing_input, padding.PKCS1v15(), hashes.SHA256())
    return (signing_input + b"." + _b64url(signature)).decode("ascii")
